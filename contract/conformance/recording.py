"""Recordings: every answer a run received, one JSON line each, with nothing personal in it.

``juhe-contract check --record FILE``, ``pytest --juhe-record FILE`` and the guard proxy's
``juhe-mock --upstream URL --record FILE`` append one line per answer (docs/recording.md):
the time, the method, the key's fingerprint (never the key), the mobile's hash (never a
number), the HTTP status, the content type, the body as received with any echo of the key
scrubbed, whether it was billed, and the verdict. Every line carries the format's version
(``"v": 1``), so files can be concatenated and appended to by several writers at once: each
line is one ``write`` to a file opened ``O_APPEND``. The schema ships beside this module
(``recording.schema.json``, :func:`schema`).

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
import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..clock import BEIJING
from ..errors import DocumentError
from ..keys import contains_key, key_fingerprint, scrub_key
from ..media import is_json_media
from ..numbers import is_mobile_sha256

__all__ = [
    "FORMAT_VERSION",
    "SOURCES",
    "Recorder",
    "RecordingError",
    "answer_verdict",
    "body_bytes",
    "leak_in",
    "read_recording",
    "record_answer",
    "schema",
]

FORMAT_VERSION = 1
SOURCES = ("juhe-contract", "pytest", "juhe-mock-proxy")
#: The most lines a reader accepts: a recording is evidence for a person to review.
MAX_LINES = 200_000
#: A key of Juhe's own form: 32 hex digits, not inside a longer run of hex digits.
_KEY_LIKE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])")
#: A plaintext mainland mobile number, not inside a longer run of digits (an orderid).
_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
#: Fields that hold a hash or a fingerprint by design (their schema pins their form).
_KNOWN_HEX = frozenset({"mobile", "key"})
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


def answer_verdict(
    status: int | None,
    content_type: str,
    content: bytes | None,
    *,
    strict: bool = False,
    key: str | None = None,
) -> dict[str, Any]:
    """The contract's verdict on an answer, without expectations of its code: HTTP 200, a
    JSON content type and body, and ``contract.validate_report`` (tolerant unless
    ``strict``). Messages are scrubbed of ``key``."""
    if status is None:
        return {"status": "no-answer", "problems": ["$: no answer at all [no-answer]"],
                "warnings": []}  # fmt: skip
    problems: list[str] = []
    warnings: list[str] = []
    if status != 200:
        problems.append(f"$: HTTP {status} instead of 200 [http-status]")
    try:
        body = json.loads((content or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(f"$: the body is not JSON ({len(content or b'')} bytes) [json]")
        return {"status": "drift", "problems": problems, "warnings": warnings}
    if not content_type:
        warnings.append("$: the answer has no Content-Type [content-type]")
    elif not is_json_media(content_type):
        problems.append("$: the Content-Type is not JSON [content-type]")
    from ..validate import validate_report

    report = validate_report(body, strict=strict, key=key)
    problems += [str(v) for v in report.violations]
    warnings += [str(w) for w in report.warnings]
    return {"status": "drift" if problems else "conform", "problems": problems,
            "warnings": warnings}  # fmt: skip


def _now() -> str:
    return dt.datetime.now(BEIJING).isoformat(timespec="milliseconds")


def _scrub_bytes(content: bytes, keys: Sequence[str]) -> tuple[bytes, bool]:
    """``content`` with every key's spellings replaced, byte for byte elsewhere."""
    text = content.decode("latin-1")  # every byte a character: nothing else changes
    scrubbed = text
    for key in keys:
        scrubbed = scrub_key(scrubbed, key)
    return scrubbed.encode("latin-1", "replace"), scrubbed != text


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
        if name in _KNOWN_HEX or name == "body_b64":
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
        if _KEY_LIKE.search(text):
            return field, (
                "holds what looks like an API key (32 hex digits); a recording holds key "
                "fingerprints only"
            )
        if _NUMBER.search(text):
            return field, (
                "holds what looks like a plaintext mobile number; a recording holds hashes only"
            )
    return None


def _redact(entry: dict[str, Any]) -> dict[str, Any]:
    """Replace what a leak check would find (the writer's last line of defence)."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return _NUMBER.sub(REDACTED, _KEY_LIKE.sub(REDACTED, value))
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = {k: (v if k in _KNOWN_HEX or k == "body_b64" else clean(v)) for k, v in entry.items()}
    if "body_b64" in out:
        raw = base64.b64decode(out["body_b64"]).decode("latin-1")
        out["body_b64"] = base64.b64encode(clean(raw).encode("latin-1")).decode("ascii")
    out["redacted"] = True
    if leak_in(out) is not None:  # hidden where a text scan cannot reach (escapes)
        out.pop("body_b64", None)
        out["body"] = ""
    return out


class Recorder:
    """Appends one line per answer to ``path`` (created ``0600`` if missing).

    :param source: who records: ``juhe-contract``, ``pytest`` or ``juhe-mock-proxy``.
    :param key: the run's key: scrubbed from every body, and its calls are ``given``.
    :raises RecordingError: if the file cannot be opened for appending.
    """

    def __init__(self, path: str | Path, *, source: str, key: str | None = None) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        self.path = Path(path)
        self.source = source
        self._key = key or ""
        self._lock = threading.Lock()
        self._fd = -1
        self._pid = -1
        self._open()

    def __repr__(self) -> str:
        return f"Recorder({str(self.path)!r}, source={self.source!r})"

    def _open(self) -> int:
        # Opened again in a forked process, so that each process owns its descriptor.
        if self._pid != os.getpid():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                why = f"cannot open it for appending ({type(exc).__name__})"
                raise RecordingError(str(self.path), "$", why) from None
            self._fd, self._pid = fd, os.getpid()
        return self._fd

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid() and self._fd >= 0:
                os.close(self._fd)
            self._fd, self._pid = -1, -1

    def key_kind(self, sent: str | None) -> str:
        if sent is None:
            return "none"
        if sent == "":
            return "empty"
        return "given" if sent == self._key else "wrong"

    def entry(
        self,
        *,
        method: str,
        key: str | None,
        mobile: str | None,
        status: int | None,
        content_type: str = "",
        content: bytes | None = None,
        billed: bool | None = None,
        verdict: Mapping[str, Any] | None = None,
        problem: str | None = None,
    ) -> dict[str, Any]:
        """The line for one answer, as :meth:`record` writes it (nothing written)."""
        keys = [k for k in {self._key, key or ""} if k]
        line: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "time": _now(),
            "source": self.source,
            "method": method if method in ("GET", "POST") else "POST",
            "key": key_fingerprint(key) if key else None,
            "key_kind": self.key_kind(key),
            "mobile": mobile.lower() if mobile and is_mobile_sha256(mobile) else None,
            "mobile_sent": "absent" if mobile is None else (
                "hash" if is_mobile_sha256(mobile) else "malformed"),
            "status": status,
            "content_type": _scrubbed_text(content_type[:500], keys),
            "billed": billed,
            "verdict": _scrubbed_json(dict(verdict or answer_verdict(
                status, content_type, content, key=self._key or None)), keys),
        }  # fmt: skip
        if status is None:
            line["problem"] = (problem or "no answer")[:100]
        elif content is not None:
            clean, scrubbed = _scrub_bytes(content, keys)
            try:
                line["body"] = clean.decode("utf-8")
            except UnicodeDecodeError:
                line["body_b64"] = base64.b64encode(clean).decode("ascii")
            if scrubbed:
                line["scrubbed"] = True
        if leak_in(line, self._key or None) is not None:
            line = _redact(line)
        return line

    def record(self, **answer: Any) -> dict[str, Any]:
        """Append the line for one answer (see :meth:`entry`); returns it."""
        line = self.entry(**answer)
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            fd = self._open()
            written = os.write(fd, data)  # one write: lines of concurrent writers never mix
        if written != len(data):
            raise OSError(f"{self.path}: only {written} of {len(data)} bytes written")
        return line


def record_answer(
    recorder: Recorder,
    answer: Any,
    *,
    method: str,
    key: str | None,
    mobile: str | None,
    verdict: Any = None,
    strict: bool = False,
) -> dict[str, Any]:
    """Record a probe's :class:`~contract.conformance.probe.Answer` (its status, content
    type, content, billed and problem), with the probe's ``verdict`` (a ``Verdict``) or,
    without one, :func:`answer_verdict`'s."""
    status = answer.status
    if verdict is not None:
        problems, warnings = list(verdict.problems), list(verdict.warnings)
        kind = "no-answer" if status is None else ("drift" if problems else "conform")
        judged: dict[str, Any] | None = {"status": kind, "problems": problems,
                                         "warnings": warnings}  # fmt: skip
    else:
        judged = answer_verdict(status, answer.content_type, answer.content, strict=strict,
                                key=recorder._key or None)  # fmt: skip
    return recorder.record(
        method=method, key=key, mobile=mobile, status=status,
        content_type=answer.content_type, content=answer.content if status is not None else None,
        billed=answer.billed, verdict=judged, problem=answer.problem,
    )  # fmt: skip


def _scrubbed_text(text: str, keys: Sequence[str]) -> str:
    for key in keys:
        text = scrub_key(text, key)
    return text


def _scrubbed_json(value: Any, keys: Sequence[str]) -> Any:
    if isinstance(value, str):
        return _scrubbed_text(value, keys)
    if isinstance(value, dict):
        return {k: _scrubbed_json(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed_json(v, keys) for v in value]
    return value


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
    words = {
        "required": "a field is missing: " + ", ".join(
            name for name in error.validator_value if name not in (error.instance or {})),
        "additionalProperties": "holds a field the format does not know",
        "enum": "not one of " + ", ".join(map(str, error.validator_value)),
        "const": f"must be {error.validator_value!r}",
        "not": "holds both body and body_b64",
    }  # fmt: skip
    return words.get(error.validator, f"does not fit the format ({error.validator})")
