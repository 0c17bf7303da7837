"""A dropped connection under granian: find the request's socket and shut it down.

granian gives a WSGI app no handle on its connection, and it writes the status line and
headers as soon as the app returns, before it reads the first chunk of the body. So a
``drop`` fault (the connection closes with not a byte sent, as under waitress) cannot be
a body that raises. :func:`drop_aware` wraps the app: when the app's answer is a
:class:`~mock_server.web.faults.Dropped` body, it finds the socket in this process whose local
port is the server's and whose peer is the client's address and port, and shuts it down
before granian writes anything; granian's writes then fail and it closes the connection.

granian's environ has no ``REMOTE_PORT``, so several connections from one client address
look alike. Only an established one whose last data came in after its last data went out
(the kernel's TCP_INFO) may be waiting for an answer; when exactly one does, it is the
request's. When several do (concurrent requests from one host, or a client's keep-alive
pool answered within a kernel tick of each request) the drop cannot tell them apart, and
the answer is the status line and headers followed by a closed connection: no body, but
not a drop before the first byte. ``--server waitress`` drops exactly in every case.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..web.faults import DropConnection, Dropped

__all__ = ["drop_aware", "find_connection"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# struct tcp_info (linux/tcp.h): 8 u8 (the first is the state), then u32s; the times
# since the last data sent and received (ms) are the 10th and 12th u32s.
_TCP_INFO = struct.Struct("8B24I")
_LAST_DATA_SENT = 8 + 9
_LAST_DATA_RECV = 8 + 11
_ESTABLISHED = 1


def _waiting(sock: socket.socket) -> bool:
    """True when the socket may be waiting for an answer: its last data came in, not out.

    The times count in kernel ticks (often 4 ms), so "<=": the request's own connection is
    always kept, and a connection answered within a tick of its request ties and is kept
    too, which can only make the search ambiguous (no cut), never pick the wrong one.
    """
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
    except OSError:
        return True  # cannot tell: keep it, so that the search stays on the safe side
    info = _TCP_INFO.unpack(raw.ljust(_TCP_INFO.size, b"\0"))
    if info[0] != _ESTABLISHED:
        return False  # e.g. CLOSE_WAIT: a client gone that granian has not closed yet
    return bool(info[_LAST_DATA_RECV] <= info[_LAST_DATA_SENT])


def find_connection(server_port: int, client_ip: str) -> socket.socket | None:
    """This process's connected socket on ``server_port`` from ``client_ip`` that waits
    for the current request's answer, as a socket object on a duplicate descriptor (close
    it after use); None when there is none or several (concurrent requests)."""
    found: list[socket.socket] = []
    seen: set[str] = set()  # one socket under several descriptors (and our own dups)
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
            if not target.startswith("socket:") or target in seen:
                continue
            seen.add(target)
            sock = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        if _is_waiting_client(sock, server_port, client_ip):
            found.append(sock)
        else:
            sock.close()
    if len(found) == 1:
        return found[0]
    for sock in found:
        sock.close()
    return None


def _is_waiting_client(sock: socket.socket, server_port: int, client_ip: str) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):  # granian's own pipes
        return False
    try:
        local, peer = sock.getsockname(), sock.getpeername()
    except OSError:  # the listening socket has no peer
        return False
    return bool(local[1] == server_port and peer[0] == client_ip and _waiting(sock))


def _headers_then_close() -> Iterator[bytes]:
    raise ConnectionAbortedError("dropped")  # granian ends the connection after the headers
    yield b""  # pragma: no cover - makes this a generator


def drop_aware(app: WSGIApp) -> WSGIApp:
    """``app`` with its ``drop`` answers cut at the socket (see the module's notes)."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            body = app(environ, start_response)
        except DropConnection:  # werkzeug's ClosingIterator already asked for the body
            pass
        else:
            if not isinstance(body, Dropped):
                return body
        with contextlib.suppress(KeyError, ValueError):
            sock = find_connection(int(environ["SERVER_PORT"]), environ["REMOTE_ADDR"])
            if sock is not None:
                with sock, contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return []
        return _headers_then_close()

    return serve
