"""Known-answer canaries: hashes whose answer is known, to catch semantic drift.

The shape and the codes of an answer can stay valid while their meaning drifts (a number
known to be long-tenured suddenly answers 234803). A canaries file pins a few such answers::

    {"canaries": [
      {"name": "long-tenured test line", "mobile_sha256": "<64 hex>",
       "expect": {"error_code": 0, "code": ["4", "5"]}},
      {"name": "unknown number", "mobile_sha256": "<64 hex>", "expect": {"error_code": 234803}}
    ]}

``code`` (a tenure code or a list of them) is only for ``error_code`` 0; leave it out to
accept any. A file holds hashes only, never a plaintext number. Problems are
:class:`CanaryError` naming the file, the JSON path of the field and why; the message never
repeats a value, which could be a number someone pasted by mistake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES
from ..errors import DocumentError
from ..numbers import is_mobile_sha256

__all__ = ["Canary", "CanaryError", "canaries_from_env", "load_canaries", "parse_canaries"]


class CanaryError(DocumentError):
    """A canaries file that cannot be used: which file, which field, why."""


@dataclass(frozen=True)
class Canary:
    """One known answer: ``mobile_sha256`` must answer ``error_code`` (and one of ``codes``)."""

    name: str
    mobile_sha256: str
    error_code: int
    codes: tuple[str, ...] | None = None  # for error_code 0: the acceptable tenure codes

    def expected(self) -> str:
        """The expectation in words, e.g. ``0 (code 3)`` or ``234803``."""
        if self.codes is None:
            return str(self.error_code)
        return f"{self.error_code} (code {'/'.join(self.codes)})"

    def matches(self, error_code: object, code: object) -> bool:
        """Whether an answer's ``error_code`` and ``result.code`` are what this canary expects."""
        if type(error_code) is not int or error_code != self.error_code:
            return False
        return self.codes is None or code in self.codes


def load_canaries(path: str | Path) -> list[Canary]:
    """Read a canaries JSON file. :raises CanaryError: naming the file and the field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CanaryError(source, "$", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CanaryError(source, "$", f"cannot read it ({type(exc).__name__})") from None
    return parse_canaries(text, source)


def canaries_from_env(value: str) -> list[Canary]:
    """``JUHE_CANARIES``: a file's path, or the JSON itself (handy for a CI secret)."""
    if value.lstrip().startswith(("{", "[")):
        return parse_canaries(value, "$JUHE_CANARIES")
    return load_canaries(value)


def parse_canaries(text: str, source: str) -> list[Canary]:
    """Parse and check a canaries document: ``{"canaries": [...]}`` or a bare list."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        where = f"line {line}" if line else "$"
        raise CanaryError(source, where, "not valid JSON") from None
    if isinstance(data, Mapping):
        if "canaries" not in data:
            raise CanaryError(source, "$.canaries", "missing: the list of canaries")
        items, base = data["canaries"], "$.canaries"
    else:
        items, base = data, "$"
    if not isinstance(items, list):
        raise CanaryError(source, base, "must be a list of canaries")
    canaries = [_canary(item, source, f"{base}[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, canary in enumerate(canaries):
        if canary.name in seen:
            raise CanaryError(source, f"{base}[{i}].name", "the same name appears twice")
        seen.add(canary.name)
    return canaries


def _canary(item: Any, source: str, path: str) -> Canary:
    if not isinstance(item, Mapping):
        raise CanaryError(source, path, "must be an object with name, mobile_sha256, expect")
    unknown = sorted(set(item) - {"name", "mobile_sha256", "expect"})
    if unknown:
        raise CanaryError(source, f"{path}.{unknown[0]}", "unknown field")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CanaryError(source, f"{path}.name", "must be a non-empty string")
    digest = item.get("mobile_sha256")
    if not isinstance(digest, str) or not is_mobile_sha256(digest):
        why = "must be the 64-hex sha256 of the number (never the number itself)"
        raise CanaryError(source, f"{path}.mobile_sha256", why)
    expect = item.get("expect")
    if not isinstance(expect, Mapping):
        raise CanaryError(source, f"{path}.expect", "must be an object with error_code")
    unknown = sorted(set(expect) - {"error_code", "code"})
    if unknown:
        raise CanaryError(source, f"{path}.expect.{unknown[0]}", "unknown field")
    error_code = expect.get("error_code")
    if type(error_code) is not int or (
        error_code != SUCCESS_CODE and error_code not in ERROR_CODES
    ):
        why = "must be 0 or an error code of the catalogue (an integer)"
        raise CanaryError(source, f"{path}.expect.error_code", why)
    codes = _codes(expect.get("code"), error_code, source, f"{path}.expect.code")
    return Canary(name.strip(), digest.lower(), error_code, codes)


def _codes(value: Any, error_code: int, source: str, path: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if error_code != SUCCESS_CODE:
        raise CanaryError(source, path, "only a success (error_code 0) has a tenure code")
    listed = [value] if isinstance(value, str) else value
    if (
        not isinstance(listed, list)
        or not listed
        or any(not isinstance(c, str) or c not in TENURE_CODES for c in listed)
    ):
        why = f"must be a tenure code or a non-empty list of them ({', '.join(TENURE_CODES)})"
        raise CanaryError(source, path, why)
    return tuple(listed)
