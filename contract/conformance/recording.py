"""Recordings: every answer a run received, one JSON line each, with nothing personal in it.

``juhe-contract check --record FILE``, ``pytest --juhe-record FILE`` and the guard proxy's
``juhe-mock --upstream URL --record FILE`` append one line per answer (docs/recording.md):
the time, the method, the key's fingerprint (never the key), the mobile's hash (never a
number), the HTTP status, the content type, the body as received with any echo of the key
scrubbed, whether it was billed, and the verdict. Every line carries the format's version
(``"v": 1``), so files can be concatenated and appended to by several writers at once
(:mod:`.recorder`, the writer: each line is one ``write`` to a file opened ``O_APPEND``).
The schema ships beside this module (``recording.schema.json``, :func:`schema`).

:func:`read_recording` refuses a file that holds anything that looks like a key (the run's
key in any spelling, when it is known, and any 32-hex token outside the hash and
fingerprint fields) or a plaintext mainland number (11 digits ``1[3-9]...`` not inside a
longer run of digits), naming the line; the message never repeats what it found. The
writer never writes such a line: what the scrubber missed is replaced (``"redacted"``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import DocumentError
from ..keys import contains_key

__all__ = [
    "FORMAT_VERSION",
    "KEY_LIKE",
    "NUMBER",
    "SOURCES",
    "RecordingError",
    "body_bytes",
    "leak_in",
    "read_recording",
    "schema",
]

FORMAT_VERSION = 1
SOURCES = ("juhe-contract", "pytest", "juhe-mock-proxy")
#: The most lines a reader accepts: a recording is evidence for a person to review.
MAX_LINES = 200_000
#: A key of Juhe's own form: 32 hex digits, not inside a longer run of hex digits.
KEY_LIKE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])")
#: A plaintext mainland mobile number, not inside a longer run of digits (an orderid).
NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
#: Fields that hold a hash or a fingerprint by design (their schema pins their form).
KNOWN_HEX = frozenset({"mobile", "key"})
REDACTED = "<redacted>"


class RecordingError(DocumentError):
    """A recording that cannot be used: which file and line, which field, why."""


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of one line (package data)."""
    text = files(__package__).joinpath("recording.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def body_bytes(entry: Mapping[str, Any]) -> bytes | None:
    """The recorded body's bytes (None when no answer came)."""
    if "body_b64" in entry:
        return base64.b64decode(entry["body_b64"])
    if "body" in entry:
        return str(entry["body"]).encode("utf-8")
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (names too), with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield path, str(name)
            yield from _strings(item, f"{path}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def _texts(entry: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """What a leak check reads: every string but the hash and fingerprint fields, and the
    body both as text and, when it is JSON, as the strings it decodes to (``\\u`` escapes)."""
    for name, value in entry.items():
        if name in KNOWN_HEX or name == "body_b64":
            continue
        yield from _strings(value, f"$.{name}")
    try:
        raw = body_bytes(entry)
    except (binascii.Error, ValueError):
        return  # the schema judges it
    if raw is None:
        return
    text = raw.decode("latin-1") if "body_b64" in entry else raw.decode("utf-8")
    field = "$.body_b64" if "body_b64" in entry else "$.body"
    yield field, text
    with contextlib.suppress(ValueError):
        yield from _strings(json.loads(text), field)


def leak_in(entry: Mapping[str, Any], key: str | None = None) -> tuple[str, str] | None:
    """``(field, why)`` for the first thing in ``entry`` that looks like a key or a
    plaintext number, else None. ``why`` never repeats it."""
    for field, text in _texts(entry):
        if key and contains_key(text, key):
            return field, "holds the run's API key; a recording holds its fingerprint only"
        if KEY_LIKE.search(text):
            return field, (
                "holds what looks like an API key (32 hex digits); a recording holds key "
                "fingerprints only"
            )
        if NUMBER.search(text):
            return field, (
                "holds what looks like a plaintext mobile number; a recording holds hashes only"
            )
    return None


def read_recording(path: str | Path, *, key: str | None = None) -> list[dict[str, Any]]:
    """Every line of a recording, checked: the schema, and no key or plaintext number.

    :param key: the run's key, if known: a line holding it in any spelling is refused.
    :raises RecordingError: naming the file, the line, the field and why.
    """
    source = str(path)
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, errors mapped
    except FileNotFoundError:
        raise RecordingError(source, "$", "no such file") from None
    except IsADirectoryError:
        raise RecordingError(source, "$", "a directory, not a file") from None
    except OSError as exc:
        raise RecordingError(source, "$", f"cannot read it ({type(exc).__name__})") from None
    entries: list[dict[str, Any]] = []
    with handle:
        n = 0
        try:
            for n, line in enumerate(handle, 1):
                if n > MAX_LINES:
                    why = f"more than {MAX_LINES:,} lines; split the recording"
                    raise RecordingError(f"{source}, line {n}", "$", why)
                if line.strip():
                    entries.append(_checked(line, f"{source}, line {n}", key))
        except UnicodeDecodeError as exc:
            why = f"not UTF-8 text (byte {exc.start})"
            raise RecordingError(f"{source}, line {n + 1}", "$", why) from None
    return entries


def _checked(line: str, where: str, key: str | None) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except ValueError:
        raise RecordingError(where, "$", "not a JSON object on one line") from None
    if not isinstance(entry, dict):
        raise RecordingError(where, "$", "must be a JSON object")
    if entry.get("v") != FORMAT_VERSION:
        raise RecordingError(where, "$.v", f"must be {FORMAT_VERSION} (this reader's format)")
    leak = leak_in(entry, key)
    if leak is not None:
        raise RecordingError(where, *leak)
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(entry))
    if error is not None:
        field = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                              for p in error.absolute_path)  # fmt: skip
        raise RecordingError(where, field, _schema_words(error))
    try:
        body_bytes(entry)
    except (binascii.Error, ValueError):
        raise RecordingError(where, "$.body_b64", "not base64") from None
    return entry


def _schema_words(error: Any) -> str:
    """The schema's complaint, without repeating a value (it could be anything)."""
    kind, wanted, instance = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(instance, dict):
        return "a field is missing: " + ", ".join(n for n in wanted if n not in instance)
    if kind == "additionalProperties":
        return "holds a field the format does not know"
    if kind == "enum":
        return "not one of " + ", ".join(map(str, wanted))
    if kind == "const":
        return f"must be {wanted!r}"
    if kind == "not":
        return "holds both body and body_b64"
    return f"does not fit the format ({kind})"
