"""The mock as an ASGI app: plain API requests answered on the event loop, the rest by Flask.

The serving model (``docs/architecture.md``, "Serving"): one event loop answers every
request, and nothing a client or a scenario does holds a thread. A latency rule or a drip
is a timer on the loop, so N delayed answers of d seconds all leave after d, whatever N.
A request body is read here, bounded in size (:attr:`MockConfig.max_content_length`,
whatever its transfer encoding: the server has already undone the chunking) and in time
(``body_timeout``); a body over the limit is a 413, a body that does not arrive in time a
408, broken chunking a 400, each on the API path in the API's own shape.

Plain API requests (GET, or POST with no body type or a urlencoded form, on exactly
``contract.PATH``) are answered by :func:`.answer.answer`, the function both WSGI doors
call, so the bytes, the journal and the ledger are theirs. Everything else (the admin API,
HEAD, multipart and other bodies, other paths and methods) goes to the Flask app through
:mod:`.bridge`, on a small thread pool, with the body already read; Flask and its app are
imported and built on the first such request only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from contract import PATH

from ..engine import Call
from ..runtime import MockRuntime
from .answer import answer
from .bridge import Bridge, Message
from .cors import asgi_preflight, asgi_send
from .params import FORM, add_body, body_type, mimetype_of, parse_query
from .setup import is_remote

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["MockAsgi", "Scope"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: Cuts the client's connection without a byte (the server layer's; True when it did).
Dropper = Callable[[Scope], bool]


class BodyProblem(Exception):
    """A request body that cannot be answered: too large, too slow, or broken."""

    def __init__(self, status: int, detail: str, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.detail, self.error, self.message = status, detail, error, message


TOO_LARGE = (
    413, "请求体过大", "request_entity_too_large",
    "The data value transmitted exceeds the capacity limit.",
)  # fmt: skip
TOO_SLOW = (408, "请求体超时", "request_timeout", "the request body did not arrive in time")
BROKEN = (400, "请求体格式错误", "bad_request", "the request body is broken (bad chunking)")


class _Headers:
    """A request's headers for the engine's ``header`` selectors: case-insensitive, ``_``
    read as ``-`` and repeated headers joined with ``", "`` (as a WSGI environ has them).

    Read only when a rule has a ``header`` selector: most requests never ask, so the
    table is built on the first :meth:`get`, not for every request.
    """

    __slots__ = ("_raw", "_values")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._values: dict[str, str] | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._values
        if values is None:
            values = self._values = {}
            for raw_name, raw_value in self._raw:
                key = raw_name.decode("latin-1").lower().replace("_", "-")
                text = raw_value.decode("latin-1")
                values[key] = f"{values[key]}, {text}" if key in values else text
        return values.get(name.lower().replace("_", "-"), default)


def _from_query(scope: Scope) -> tuple[dict[str, str], str]:
    """The query string's parameters, and ``query`` or ``absent`` for where the key is."""
    values = parse_query(scope["query_string"])
    return values, ("query" if "key" in values else "absent")


def _call(scope: Scope, plain: tuple[dict[str, str], str], content_type: bytes | None) -> Call:
    """What the engine (or the guard proxy) needs of one API request, from the ASGI scope."""
    values, where = plain
    client = scope.get("client")
    return Call(
        scope["method"], values.get("key"), values.get("mobile"), client[0] if client else "",
        _Headers(scope["headers"]), where, tuple(values),
        body_type(content_type.decode("latin-1")) if content_type else None,
    )  # fmt: skip


class MockAsgi:
    """The ASGI app of one running mock (one per event loop).

    :param runtime: what it answers with (settings, scenario, engine, store).
    :param threads: the thread pool for Flask (and for a remote store's round trips).
    :param drop: how the server cuts a connection for a ``drop`` fault.
    :param flask: what gives the Flask app (``MockServer.app``); by default one is built on
        the same runtime on first need.
    """

    def __init__(
        self,
        runtime: MockRuntime,
        *,
        threads: int = 4,
        drop: Dropper | None = None,
        flask: Callable[[], Flask] | None = None,
    ) -> None:
        self.runtime = runtime
        self.bridge = Bridge(runtime, threads, flask)
        self._drop = drop
        self._offload = is_remote(runtime.store)
        self._cut = False
        self._cut_event: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._reading: set[asyncio.Task[Any]] = set()
        #: Called with nothing for every request to the API path (the pytest plugin's tally).
        self.api_call_hooks: list[Callable[[], None]] = []
        #: Called on the loop when a server that speaks ASGI lifespan starts (a worker).
        self.startup_hooks: list[Callable[[], None]] = []

    # -- stopping ------------------------------------------------------------------------

    def cut(self) -> None:
        """End every wait now (latencies, drips, bodies still arriving); call on the loop."""
        self._cut = True
        if self._cut_event is not None:
            self._cut_event[1].set()
        for task in list(self._reading):
            task.cancel()

    async def wait(self, seconds: float) -> None:
        """Wait ``seconds`` on the loop, holding no thread; :meth:`cut` ends it early."""
        if seconds <= 0 or self._cut:
            return
        loop = asyncio.get_running_loop()
        if self._cut_event is None or self._cut_event[0] is not loop:
            self._cut_event = (loop, asyncio.Event())  # one per loop (a test may run several)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._cut_event[1].wait(), seconds)

    # -- ASGI ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send, self.startup_hooks)
            return
        if kind != "http":
            return  # no websockets here
        api = scope["path"] == PATH
        if api:
            for hook in self.api_call_hooks:
                hook()
        method = scope["method"]
        if api and self.runtime.config.cors:  # headers only: the bytes stay the same
            if method == "OPTIONS":
                await asgi_preflight(scope, send)
                return
            send = asgi_send(send)
        try:
            body = b"" if method in ("GET", "HEAD") else await self._body(scope, receive)
        except BodyProblem as problem:
            await self._refuse(scope, send, problem, api)
            return
        if api and method in ("GET", "POST"):
            content_type = _header(scope, b"content-type")
            plain = self._plain(scope, body, content_type)
            if self.runtime.proxy is not None:  # the guard proxy answers the API path
                await self._proxied(scope, send, plain, content_type, time.perf_counter())
                return
            if plain is not None:
                await self._answer(scope, send, plain, content_type, time.perf_counter())
                return
        await self.bridge.serve(scope, body, send, self.wait, self._drop)

    def _plain(
        self, scope: Scope, body: bytes, content_type: bytes | None
    ) -> tuple[dict[str, str], str] | None:
        """The parameters of a plain API request and where its key came from (``query``,
        ``form`` or ``absent``); None when Flask should judge it."""
        values, in_query = _from_query(scope)
        if scope["method"] == "GET" or content_type is None:
            return values, in_query  # a POST with no body type: the query string alone
        if mimetype_of(content_type.decode("latin-1")) != FORM:
            return None
        if not body:
            return values, in_query
        values = add_body(values, parse_query(body))
        return values, (in_query if in_query == "query" or "key" not in values else "form")

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        plain: tuple[dict[str, str], str],
        content_type: bytes | None,
        started: float,
    ) -> None:
        values = plain[0]
        client = scope.get("client")
        ip = client[0] if client else None
        call = _call(scope, plain, content_type)
        intervals: list[float] = []
        try:
            if self._offload:
                reply = await asyncio.get_running_loop().run_in_executor(
                    self.bridge.pool, answer, self.runtime, call, ip, values.get("callback"),
                    started, intervals.append,
                )  # fmt: skip
            else:
                reply = answer(self.runtime, call, ip, values.get("callback"), started,
                               intervals.append)  # fmt: skip
        except Exception as error:  # the store failed: Flask's handlers answer it
            await self.bridge.failed(scope, error, send)
            return
        if reply.delay > 0:
            await self.wait(reply.delay)
        if reply.fault is None:
            payload = reply.payload
            raw = [(b"content-type", reply.content_type.encode("latin-1")),
                   (b"content-length", b"%d" % len(payload))]  # fmt: skip
            await send({"type": "http.response.start", "status": 200, "headers": raw})
            await send({"type": "http.response.body", "body": payload})
            return
        status, headers, content = reply.fault
        await self.bridge.stream(scope, send, status, headers, content, intervals, self.wait,
                                 self._drop)  # fmt: skip

    async def _proxied(
        self,
        scope: Scope,
        send: Send,
        plain: tuple[dict[str, str], str] | None,
        content_type: bytes | None,
        started: float,
    ) -> None:
        """A GET or POST for the guard proxy (``mock_server.proxy``). Of a body that is not
        a form only the query string counts (live reads the key from the query or a form)."""
        proxy = self.runtime.proxy
        assert proxy is not None
        if plain is None:
            plain = _from_query(scope)
        values = plain[0]
        call = _call(scope, plain, content_type)
        try:
            reply = await proxy.answer(call, values.get("callback"), started)
        except Exception as error:  # the store failed: Flask's handlers answer it (503)
            await self.bridge.failed(scope, error, send)
            return
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw})
        await send({"type": "http.response.body", "body": reply.payload})

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole request body, within the size limit and the body timeout."""
        config = self.runtime.config
        limit = config.max_content_length
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise BodyProblem(*TOO_LARGE)  # refused before a byte of it is read
        deadline = time.monotonic() + config.body_timeout
        chunks: list[bytes] = []
        size = 0
        task = asyncio.current_task()
        if task is not None:
            self._reading.add(task)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or self._cut:
                    raise BodyProblem(*TOO_SLOW)
                try:
                    message = await asyncio.wait_for(receive(), left)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    raise BodyProblem(*TOO_SLOW) from None
                if message["type"] == "http.disconnect":
                    # The client went away, or the server could not read the body (broken
                    # chunking): either way no answer; a client still there learns why.
                    raise BodyProblem(*BROKEN)
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyProblem(*TOO_LARGE)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        finally:
            if task is not None:
                self._reading.discard(task)

    async def _refuse(self, scope: Scope, send: Send, problem: BodyProblem, api: bool) -> None:
        """A body problem's answer: in the API's shape on the API path, else as the admin
        API's errors; the connection closes after it (the rest of the body is unread)."""
        from .wire import CONTENT_TYPE, api_error_bytes, encode

        if api:
            payload = api_error_bytes(problem.detail)
        else:
            payload = encode({"error": problem.error, "message": problem.message})
        headers = [
            (b"content-type", CONTENT_TYPE.encode("latin-1")),
            (b"content-length", b"%d" % len(payload)),
            (b"connection", b"close"),
        ]
        try:
            await send({"type": "http.response.start", "status": problem.status,
                        "headers": headers})  # fmt: skip
            await send({"type": "http.response.body", "body": payload})
        except Exception:
            return


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def _lifespan(receive: Receive, send: Send, hooks: list[Callable[[], None]]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            for hook in hooks:
                hook()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
