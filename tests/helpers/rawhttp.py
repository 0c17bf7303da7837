"""A tiny HTTP/1.1 client over a raw socket: send exactly the given bytes, read the answer.

``requests`` and ``http.client`` refuse to send most of what a fuzzer wants to send (bad
request lines, raw non-ASCII, duplicate or broken headers), so these tests speak HTTP
themselves. Every request carries ``Connection: close`` so the answer ends at EOF.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

TIMEOUT_S = 10.0


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, last one wins
    body: bytes = b""


def exchange(port: int, request: bytes, *, timeout: float = TIMEOUT_S) -> bytes:
    """Send ``request`` to 127.0.0.1:``port`` and return every byte until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes, *, head_only: bool = False) -> RawResponse:
    """Split one HTTP/1.1 answer into status, headers and body (no chunked bodies here:
    the mock and waitress send a Content-Length)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"no complete HTTP head in {raw[:200]!r}"
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    assert version.startswith("HTTP/1."), lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if not head_only and "content-length" in headers:
        assert len(body) == int(headers["content-length"]), (headers, len(body))
    return RawResponse(int(status), headers, b"" if head_only else body)


def build(
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    *,
    content_length: bool = True,
) -> bytes:
    """One request, byte for byte, with ``Host`` and ``Connection: close`` added."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if content_length and (body or method == b"POST"):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
