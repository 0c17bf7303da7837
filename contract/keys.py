"""The API key in text: one digest, one fingerprint and one scrubber for the whole project.

The key is a secret: it never appears in a log line, a journal, a report, an exception
message or a repr. Where one of those must say *which* key, it shows
:func:`key_fingerprint` (the mock's journal, the client's repr and logs); state kept per
key is keyed by :func:`key_digest`; any text that might echo a key (a server's ``reason``,
an exception from the HTTP stack, a report) goes through :func:`scrub_key`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

__all__ = [
    "KEY_PLACEHOLDER",
    "contains_key",
    "key_digest",
    "key_fingerprint",
    "scrub_json",
    "scrub_key",
]

#: What :func:`scrub_key` puts where the key was.
KEY_PLACEHOLDER = "<key>"


@functools.lru_cache(maxsize=256)  # clients reuse a few keys: sha256 once per key, bounded
def key_digest(key: str) -> str:
    """The full sha256 hex of ``key``, for keying state; any ``str`` works (surrogates too)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@functools.lru_cache(maxsize=256)
def key_fingerprint(key: str) -> str:
    """A short, stable stand-in for a key in logs, the journal and reprs: 8 hex of sha256.

    ``key_fingerprint("demo-key")`` is ``key_digest("demo-key")[:8]``, e.g. ``1a2b3c4d``.
    """
    return key_digest(key)[:8]


def scrub_key(text: str, key: str) -> str:
    """``text`` with every spelling of ``key`` replaced by ``<key>``; never raises.

    A spelling is the key with each character as given, percent-encoded (UTF-8, hex digits
    in either case; ``+`` for a space, as forms write it) or JSON-escaped (``\\u00e9``,
    ``\\/``, ...), in any mix: so ``quote``, ``quote_plus``, a form body, a GET URL and a
    JSON body echoing the key are all covered. An empty key has no spelling to hide.
    """
    if not key:
        return text
    return _spellings(key).sub(KEY_PLACEHOLDER, text)


def contains_key(text: str, key: str) -> bool:
    """Whether ``text`` holds ``key`` in any spelling :func:`scrub_key` knows."""
    return bool(key) and _spellings(key).search(text) is not None


def scrub_json(value: Any, key: str) -> Any:
    """A decoded JSON value with the key scrubbed from every string in it, names included.

    For an answer kept as data (an exception's ``body``, a result's): a server that echoes
    the key into ``result`` must not hand it to whoever logs that body. Other values are
    returned as they are; nothing is copied when there is no key.
    """
    if not key:
        return value
    if isinstance(value, str):
        return scrub_key(value, key)
    if isinstance(value, dict):
        return {scrub_json(k, key): scrub_json(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, key) for v in value]
    return value


@functools.lru_cache(maxsize=64)
def _spellings(key: str) -> re.Pattern[str]:
    # One pass of one pattern, so the placeholder itself is never scrubbed again.
    return re.compile("".join(_character(c) for c in key))


def _character(char: str) -> str:
    data = char.encode("utf-8", "surrogatepass")
    ways = {re.escape(char), "".join(f"%{_hex(f'{b:02x}')}" for b in data)}
    if char == " ":
        ways.add(r"\+")
    units = char.encode("utf-16-be", "surrogatepass")  # JSON's \uXXXX, in pairs past the BMP
    ways.add("".join(rf"\\u{_hex(units[i : i + 2].hex())}" for i in range(0, len(units), 2)))
    short = json.dumps(char)[1:-1]  # JSON's own short escapes: \n, \", \\ ...
    if short.startswith("\\") and not short.startswith("\\u"):
        ways.add(re.escape(short))
    if char == "/":
        ways.add(r"\\/")
    return "(?:" + "|".join(sorted(ways, key=lambda w: (-len(w), w))) + ")"


def _hex(digits: str) -> str:
    """A regex for hex digits in either case: ``2f`` -> ``2[fF]``."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)
