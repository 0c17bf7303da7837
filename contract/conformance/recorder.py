"""The recording's writer: one line per answer received, scrubbed, never a leak.

:class:`Recorder` appends the lines of ``contract.conformance.recording``'s format
(docs/recording.md) to a file opened ``O_APPEND``, each line one ``write``, so that several
writers (pytest-xdist workers, proxy replicas on one host, threads) never mix their lines.
The key the run holds, and the key a call carried, are scrubbed from every body in every
spelling (``contract.scrub_key``); what the scrubber cannot know (another key, a number an
upstream echoes) is replaced before the line is written (``"redacted": true``), so the
writer never writes a line the reader would refuse.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..clock import BEIJING
from ..keys import key_fingerprint, scrub_key
from ..media import is_json_media
from ..numbers import is_mobile_sha256
from .recording import (
    FORMAT_VERSION,
    KEY_LIKE,
    KNOWN_HEX,
    NUMBER,
    REDACTED,
    SOURCES,
    RecordingError,
    leak_in,
)

__all__ = ["Recorder", "answer_verdict", "record_answer"]


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


def _redact(entry: dict[str, Any]) -> dict[str, Any]:
    """Replace what a leak check would find (the writer's last line of defence)."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return NUMBER.sub(REDACTED, KEY_LIKE.sub(REDACTED, value))
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = {k: (v if k in KNOWN_HEX or k == "body_b64" else clean(v)) for k, v in entry.items()}
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
