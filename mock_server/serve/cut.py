"""A dropped connection: find the request's socket in this process and shut it down.

ASGI gives an app no handle on its connection, and a server writes a status line when the
app returns without one. So a ``drop`` fault (the connection closes with not a byte sent)
is done here: :func:`drop_connection` finds the socket in this process whose local port is
the server's and whose peer is the client's address *and port* (both in the ASGI scope),
and shuts it down before the server writes anything; the server's write then fails and it
closes the connection. Exact in every case: one (address, port) pair is one connection.

:func:`find_connection` without a client port (a server whose request carries none, as
granian's WSGI environ did) falls back to a guess: the one established connection from the
address whose last data came in after its last data went out (the kernel's TCP_INFO); when
several could be waiting it finds none.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import MutableMapping
from typing import Any

__all__ = ["drop_connection", "find_connection"]

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


def find_connection(
    server_port: int, client_ip: str, client_port: int | None = None
) -> socket.socket | None:
    """This process's connected socket on ``server_port`` from ``client_ip`` (and
    ``client_port``: exact), as a socket object on a duplicate descriptor (close it after
    use). Without a port: the one such socket that waits for an answer; None when there is
    none or several (concurrent requests)."""
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
        if _is_client(sock, server_port, client_ip, client_port):
            found.append(sock)
            if client_port is not None:
                break  # one (address, port) pair is one connection
        else:
            sock.close()
    if len(found) == 1:
        return found[0]
    for sock in found:
        sock.close()
    return None


def _is_client(
    sock: socket.socket, server_port: int, client_ip: str, client_port: int | None
) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):  # granian's own pipes
        return False
    try:
        local, peer = sock.getsockname(), sock.getpeername()
    except OSError:  # the listening socket has no peer
        return False
    if local[1] != server_port or peer[0] != client_ip:
        return False
    if client_port is not None:
        return bool(peer[1] == client_port)
    return _waiting(sock)


def drop_connection(scope: MutableMapping[str, Any]) -> bool:
    """Shut the ASGI request's connection down, not a byte sent; False when it is not
    found (then the caller sends what it can)."""
    try:
        server_port = int(scope["server"][1])
        client_ip, client_port = scope["client"][0], int(scope["client"][1])
    except (KeyError, TypeError, ValueError, IndexError):
        return False
    sock = find_connection(server_port, client_ip, client_port)
    if sock is None:
        return False
    with sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return True
