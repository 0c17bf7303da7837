"""How each setting's value is checked: one function per kind of value.

Each takes what a source gave (the environment's text, a command-line value, a Python
value) and returns the value to use, or raises ``ValueError`` saying why in a few words;
:mod:`mock_server.config` names the source in front of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .config import ScenarioSource

__all__ = [
    "at_least_one",
    "choice",
    "flag",
    "optional_at_least_one",
    "optional_count",
    "optional_int",
    "optional_text",
    "paths",
    "port",
    "redis_timeout",
    "scenarios",
    "seconds",
    "token",
    "ttl",
    "upstream",
    "whole",
]


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def port(value: Any) -> int:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        raise ValueError(f"{value!r} is not a port number")
    port = int(value) if isinstance(value, str) else value
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"{port} is not between 0 and 65535")
    return port


def at_least_one(value: Any) -> int:
    number = whole(value) if isinstance(value, str) else value
    if not isinstance(number, int) or number < 1:
        raise ValueError("must be at least 1")
    return number


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"{value!r} is not {' or '.join(options)}")
        return str(value)

    return check


def redis_timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not 0.01 <= seconds <= 60:  # NaN fails too
        raise ValueError(f"{value!r} is not between 0.01 and 60 seconds")
    return seconds


def token(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        # An empty token would mean "no token" to one reader and "open to all" to another.
        raise ValueError("an empty admin token protects nothing; give a token or none")
    return value


def seconds(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not 0 < number <= 3600 or number != number:
        raise ValueError("must be more than 0 and at most 3600 seconds")
    return number


def optional_at_least_one(value: Any) -> int | None:
    return None if value is None or value == "" else at_least_one(value)


def optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return whole(value) if isinstance(value, str) else int(value)


def optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def flag(value: Any) -> bool:
    """A switch: a bool, or from the environment 1/true/yes/on and 0/false/no/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{value!r} is not a switch (1/true/yes/on or 0/false/no/off)")


def scenarios(value: Any) -> list[ScenarioSource]:
    if isinstance(value, str):  # the environment: paths separated as in PATH
        return [part for part in value.split(os.pathsep) if part]
    if isinstance(value, (Mapping, Path)):
        return [value]
    return list(value)


def upstream(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    if text == "live":
        return text
    try:
        parts = urlsplit(text)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        usable = False
    if not usable or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError(f"{text!r}: give live or an http(s) URL of scheme and host")
    return text.rstrip("/")


def ttl(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not 0 <= seconds <= 366 * 86400:  # NaN fails too
        raise ValueError("must be 0 (no cache) to 31,622,400 seconds (366 days)")
    return seconds


def optional_count(value: Any) -> int | None:
    if value is None or value == "":
        return None
    number = whole(value) if isinstance(value, str) else value
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ValueError("must be a whole number, 0 or more")
    return number


def paths(value: Any) -> list[str]:
    if isinstance(value, str):  # the environment: paths separated as in PATH
        return [part for part in value.split(os.pathsep) if part]
    if isinstance(value, Path):
        return [str(value)]
    return [str(part) for part in value]
