"""One event loop serving the mock: granian's embedded server around :class:`MockAsgi`.

``juhe-mock`` (one process, the default) runs it on the main thread; :class:`MockServer`
runs the same on a thread of its own. granian's HTTP/1.1 side is Rust (hyper on tokio):
it accepts, parses and writes without the GIL, and calls the app on this thread's asyncio
loop. What it is told here:

- ``idle_timeout``: headers must arrive within it, and a kept-alive connection that sends
  nothing more is closed after it (hyper's header read timeout);
- a request head (request line and headers) of at most :data:`MAX_HEAD` bytes, else 431;
- HTTP/1.1 only (the vendor speaks nothing else), no websockets;
- room for :data:`BACKLOG` connections waiting to be accepted, and as many in flight.

A stop (:meth:`Serving.stop`) refuses new connections at once, closes idle ones, lets
the answers in flight finish, and after ``drain_timeout`` cuts their remaining waits
(latency, drip, a body still arriving) short, so that the loop ends soon after.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import MockConfig
from ..web.door_async import MockAsgi

__all__ = [
    "BACKLOG",
    "FLASK_THREADS",
    "MAX_HEAD",
    "Serving",
    "reserve_port",
    "scheme",
    "tls_options",
]

#: The largest request head accepted (as waitress's 256 KiB): a longer one is a 431.
MAX_HEAD = 256 * 1024
#: Connections the kernel queues before accept, and requests granian lets in at once.
BACKLOG = 2048
#: Threads for the Flask side (the admin API, odd requests); the API path needs none.
FLASK_THREADS = 4
#: How often readiness is polled while the server starts.
_POLL_S = 0.005


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (0: a free port), kept bound while granian binds the
    same port beside it (both with ``SO_REUSEPORT``), so that no other program can take a
    free port between the choice and the bind. Close it once the server listens.

    A port another program holds is refused here: an explicit port is first tried without
    ``SO_REUSEPORT``, which no listener can share.

    :raises OSError: for a port in use; ``socket.gaierror`` for a host that does not resolve.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if port:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    held = socket.socket(family, socket.SOCK_STREAM)
    try:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind((host, port))
    except OSError:
        held.close()
        raise
    return held


def connect_host(host: str) -> str:
    """Where to connect to reach a server bound to ``host`` (a wildcard is loopback)."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def scheme(config: MockConfig) -> str:
    """``https`` when the settings give a certificate (checked by :mod:`.tls`), else ``http``."""
    return "https" if config.tls_cert else "http"


def tls_options(config: MockConfig) -> dict[str, Any]:
    """granian's TLS arguments for the settings' certificate and key (none for plain HTTP)."""
    if config.tls_cert is None or config.tls_key is None:
        return {}
    return {"ssl_cert": Path(config.tls_cert), "ssl_key": Path(config.tls_key)}


def granian_server(app: MockAsgi, config: MockConfig, port: int) -> object:
    """granian's embedded server for ``app`` on ``config.host:port``, not started."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server.embed import Server

    return Server(
        app,
        address=config.host,
        port=port,
        interface=Interfaces.ASGINL,
        http=HTTPModes.http1,
        websockets=False,
        backlog=BACKLOG,
        backpressure=BACKLOG,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(config.idle_timeout * 1000), max_buffer_size=MAX_HEAD
        ),
        log_level=LogLevels.error,
        **tls_options(config),
    )


class Serving:
    """The mock served on this thread's event loop until :meth:`stop`.

    :param on_ready: called (on the loop) once the server accepts connections.
    """

    def __init__(
        self,
        app: MockAsgi,
        config: MockConfig,
        port: int,
        on_ready: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.config = config
        self.port = port
        self._on_ready = on_ready
        self._server: object | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stopping = False
        #: ``time.monotonic()`` when the stop began (None while serving).
        self.stop_began: float | None = None

    async def run(self) -> None:
        """Serve until :meth:`stop`; returns once the answers in flight are out."""
        self._loop = asyncio.get_running_loop()
        server = self._server = granian_server(self.app, self.config, self.port)
        serving = asyncio.ensure_future(server.serve())  # type: ignore[attr-defined]
        ready = asyncio.ensure_future(self._ready(serving))
        try:
            await serving
        finally:
            ready.cancel()
            self.app.bridge.close()
            proxy = self.app.runtime.proxy
            if proxy is not None:  # its upstream connections belong to this loop
                await proxy.aclose()
                proxy.close()

    async def _ready(self, serving: asyncio.Future[None]) -> None:
        host = connect_host(self.config.host)
        while not serving.done() and not self.stopping:
            try:
                _, writer = await asyncio.open_connection(host, self.port)
            except OSError:
                await asyncio.sleep(_POLL_S)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self._on_ready()
            return

    def stop(self) -> None:
        """Begin the drain (call on the loop): refuse new connections, finish the answers
        in flight, and cut their waits short after ``drain_timeout``."""
        if self.stopping or self._loop is None:
            return
        self.stopping = True
        self.stop_began = time.monotonic()
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
        self._loop.call_later(self.config.drain_timeout, self.cut)

    def cut(self) -> None:
        """End every wait now (on the loop): the drain's time is up."""
        self.app.cut()
        self.app.runtime.stop_pausing()

    def stop_threadsafe(self) -> None:
        """:meth:`stop` from another thread."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop has just ended
                self._loop.call_soon_threadsafe(self.stop)
