"""Replay: a recording of live's answers, by hash, for the engine to answer with.

A scenario's ``replay: [FILE, ...]`` (and ``juhe-mock --replay FILE``) names recordings
(docs/recording.md, read by :func:`contract.conformance.recording.read_recording`, which
refuses a file holding a key or a plaintext number). Every line that answered a call
carrying the run's own key (``key_kind: given``) with a well-formed hash becomes that hash's
:class:`Replayed` answer: its HTTP status, content type and body, byte for byte, the
orderid included (it is not renewed: two lookups of a replayed hash carry the same one).
The last line of a hash wins. Lines with no answer (a timeout) are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract import SUCCESS_CODE

from .errors import ConfigError

__all__ = ["Replayed", "load_replays", "replay_table"]


@dataclass(frozen=True)
class Replayed:
    """One recorded answer, to be sent again exactly as it was received."""

    status: int
    content_type: str
    payload: bytes
    #: The body's ``error_code`` when it is an API answer (HTTP 200, a JSON object with an
    #: integer ``error_code``), else None: then it is replayed but neither billed nor counted.
    error_code: int | None = None
    #: A success's ``result.code`` when it is a string (what the ledger counts it under).
    tenure: str | None = None


def _answer(status: int, payload: bytes) -> tuple[int | None, str | None]:
    if status != 200:
        return None, None
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, None
    if not isinstance(body, dict) or type(body.get("error_code")) is not int:
        return None, None
    code = body["error_code"]
    result = body.get("result")
    tenure = result.get("code") if code == SUCCESS_CODE and isinstance(result, dict) else None
    return code, tenure if isinstance(tenure, str) else None


def replay_table(entries: Sequence[Mapping[str, Any]]) -> dict[str, Replayed]:
    """The answers of a recording's lines, by hash (the last line of a hash wins)."""
    from contract.conformance.recording import body_bytes

    table: dict[str, Replayed] = {}
    for entry in entries:
        mobile, status = entry.get("mobile"), entry.get("status")
        if entry.get("key_kind") != "given" or mobile is None or status is None:
            continue
        payload = body_bytes(entry) or b""
        code, tenure = _answer(int(status), payload)
        table[str(mobile)] = Replayed(int(status), str(entry.get("content_type", "")), payload,
                                      code, tenure)  # fmt: skip
    return table


def load_replays(names: Sequence[str], source: str) -> dict[str, Replayed]:
    """The recordings a document's ``replay`` names, merged in order.

    A relative path is taken from the folder of the document's file (``source``), or from
    the working directory for a document that is no file.

    :raises ConfigError: naming the document, ``$.replay[i]`` and the recording's problem
        (its file, line and field).
    """
    from contract.conformance.recording import RecordingError, read_recording

    base = Path(source).parent if Path(source).is_file() else Path.cwd()
    table: dict[str, Replayed] = {}
    for i, name in enumerate(names):
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base / path
        try:
            table.update(replay_table(read_recording(path)))
        except RecordingError as exc:
            raise ConfigError(source, f"$.replay[{i}]", str(exc)) from None
    return table
