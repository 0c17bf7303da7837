"""From the event loop to Flask and back: a WSGI call on a thread, its answer on the loop.

What the event-loop door (:mod:`.door_async`) leaves to Flask (the admin API, HEAD,
multipart and other bodies, other paths and methods) runs here: the body already read, a
WSGI environ built from the ASGI scope, the Flask app called on a small thread pool. The
doors never wait in that thread: the environ carries :data:`.answer.WAIT_KEY`, which only
notes each latency and drip interval, and the loop waits them out before it sends what
follows. So a delayed answer holds no thread here either.

The Flask app is imported and built on the first request that needs it.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from ..runtime import MockRuntime
from .answer import WAIT_KEY
from .cors import DONE_KEY as CORS_DONE
from .cors import CorsWsgi
from .faults import DropConnection, Dropped

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Bridge", "Message", "environ_of"]

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Wait = Callable[[float], Awaitable[None]]
Dropper = Callable[[Scope], bool]
Headers = list[tuple[str, str]]
_DONE = object()


def environ_of(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI request whose body has been read (``body``)."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    server = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path.split(b"?", 1)[0]).decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(client[0]), str(client[1])
    environ[CORS_DONE] = True  # the event-loop door adds CORS headers itself
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is whole now: its length is the one above
        text = value.decode("latin-1")
        key = key if key == "CONTENT_TYPE" else "HTTP_" + key
        environ[key] = f"{environ[key]}, {text}" if key in environ else text
    return environ


class _Answer:
    """What one WSGI call started: status, headers, and the body still to iterate."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: Headers = []

    def start_response(self, status: str, headers: Headers, exc_info: Any = None) -> Any:
        self.status = int(status.split(" ", 1)[0])
        self.headers = list(headers)
        return None  # no write() callable: the doors return their bodies


class Bridge:
    """Flask on a thread pool, for what the event-loop door does not answer itself."""

    def __init__(
        self, runtime: MockRuntime, threads: int, flask: Callable[[], Flask] | None = None
    ) -> None:
        self.runtime = runtime
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="juhe-mock-flask")
        self._make_flask = flask
        self._flask: Flask | None = None
        self._lock = threading.Lock()

    @property
    def flask(self) -> Flask:
        """The Flask app on the same runtime, built (and Flask imported) on first use."""
        if self._flask is None:
            with self._lock:
                if self._flask is None:
                    if self._make_flask is not None:
                        self._flask = self._make_flask()
                    else:
                        from .app import create_app

                        self._flask = create_app(runtime=self.runtime)
        return self._flask

    def _call(self, environ: dict[str, Any]) -> tuple[_Answer, Iterable[bytes] | None]:
        """One WSGI call, in a pool thread; None for the body of a dropped connection."""
        started = _Answer()
        try:
            body = self.flask.wsgi_app(environ, started.start_response)
        except DropConnection:  # werkzeug's ClosingIterator already asked for the body
            return started, None
        return started, None if isinstance(body, Dropped) else body

    async def serve(self, scope: Scope, body: bytes, send: Send, wait: Wait,
                    drop: Dropper | None) -> None:  # fmt: skip
        """Answer the request through Flask, waiting out on the loop what the doors noted."""
        intervals: list[float] = []
        environ = environ_of(scope, body)
        environ[WAIT_KEY] = intervals.append
        loop = asyncio.get_running_loop()
        started, content = await loop.run_in_executor(self.pool, self._call, environ)
        if intervals:  # a latency rule: noted by the door before it returned
            await wait(sum(intervals))
            intervals.clear()
        await self.stream(scope, send, started.status, started.headers, content, intervals,
                          wait, drop)  # fmt: skip

    async def failed(self, scope: Scope, error: Exception, send: Send) -> None:
        """A store failure in the event-loop door, answered by the Flask app's handlers."""
        environ = environ_of(scope, b"")

        def handle() -> tuple[_Answer, Iterable[bytes]]:
            from .door_raw import FastPath

            started = _Answer()
            door: Any = self.flask.wsgi_app
            if isinstance(door, CorsWsgi):
                door = door.inner
            if not isinstance(door, FastPath):  # a guard proxy's app has no fast path
                from .door_flask import EXTENSION

                door = FastPath(self.flask, door, EXTENSION)
            return started, door.failed(environ, started.start_response, error)

        loop = asyncio.get_running_loop()
        started, content = await loop.run_in_executor(self.pool, handle)
        await self.stream(scope, send, started.status, started.headers, content, [], None, None)

    async def stream(
        self,
        scope: Scope,
        send: Send,
        status: int,
        headers: Headers,
        content: Iterable[bytes] | None,
        intervals: list[float],
        wait: Wait | None,
        drop: Dropper | None,
    ) -> None:
        """Send a status, headers and a body; each noted interval is waited out on the loop
        before the chunk that follows it. ``content`` None or :class:`Dropped`: a drop."""
        if content is None or isinstance(content, Dropped):
            if drop is None or not drop(scope):
                # No way to cut this connection: the headers go, then it closes.
                await send({"type": "http.response.start", "status": status,
                            "headers": _encode(headers)})  # fmt: skip
            return  # the server finds the socket shut, and closes it
        iterator: Iterator[bytes] = iter(content)
        try:
            await send({"type": "http.response.start", "status": status,
                        "headers": _encode(headers)})  # fmt: skip
            while True:
                chunk = next(iterator, _DONE)
                if intervals and wait is not None:
                    await wait(sum(intervals))
                    intervals.clear()
                if chunk is _DONE:
                    break
                assert isinstance(chunk, bytes)
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            close = getattr(content, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _encode(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
