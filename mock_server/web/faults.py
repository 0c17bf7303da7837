"""HTTP-level faults: what a flaky network or a broken gateway does to an answer.

Each function turns the answer's bytes and a :class:`~mock_server.scenario.model.Fault` into an
HTTP status, headers and a body iterable. A dropped connection is a body iterable that
raises :class:`DropConnection` before its first byte (or is :class:`Dropped`); the
event-loop door sees it before anything is sent and has :mod:`mock_server.serve.cut` shut
the request's own socket down.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus

from ..scenario.model import Fault, FaultKind

__all__ = ["DropConnection", "Dropped", "FaultResponse", "apply_fault"]

FaultResponse = tuple[int, list[tuple[str, str]], Iterable[bytes]]


class DropConnection(Exception):
    """Raised from a response body: close the connection, send nothing."""


def _html_page(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = f"{status} {phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode("ascii")


class Dropped:
    """The body of a dropped connection: reading it raises :class:`DropConnection`.

    A class, not a generator, so that a server wrapper can recognise it before the server
    sends anything (granian writes the headers while it reads the first chunk).
    """

    def __iter__(self) -> Iterator[bytes]:
        raise DropConnection()


def _drip(
    payload: bytes, chunk: int, interval: float, wait: Callable[[float], None]
) -> Iterator[bytes]:
    for start in range(0, len(payload), chunk):
        if start:
            wait(interval)
        yield payload[start : start + chunk]


def malformed(payload: bytes) -> bytes:
    """The answer with a trailing comma before its last brace: close to JSON, but not JSON."""
    return payload[:-1] + b",}" if payload.endswith(b"}") else payload + b",}"


def apply_fault(
    fault: Fault,
    payload: bytes,
    content_type: str,
    wait: Callable[[float], None] = time.sleep,
) -> FaultResponse:
    """The HTTP response for ``fault``; ``payload`` is the answer's bytes it damages.

    :param wait: how a drip waits between chunks (the runtime's, which a stop cuts short).
    """
    kind = fault.kind
    if kind is FaultKind.STATUS:
        body = b"" if fault.body == "empty" else _html_page(fault.status)
        headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
        return fault.status, headers, [body]
    if kind is FaultKind.DROP:
        return 200, [("Content-Type", content_type)], Dropped()
    if kind is FaultKind.RAW:
        raw = [("Content-Type", fault.content_type), ("Content-Length", str(len(fault.payload)))]
        return fault.status, raw, [fault.payload]
    if kind is FaultKind.MALFORMED:
        payload = malformed(payload)
    elif kind is FaultKind.TRUNCATED:
        payload = payload[: len(payload) // 2]
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
    if kind is FaultKind.DRIP:
        return 200, headers, _drip(payload, fault.chunk, fault.interval, wait)
    return 200, headers, [payload]
