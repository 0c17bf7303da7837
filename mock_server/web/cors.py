"""CORS on the API path (``--cors``): so that a front end in a browser can call the mock.

Off by default. When on, every answer on ``contract.PATH`` (answers, faults with a status,
405, 408, 413, 503) carries ``Access-Control-Allow-Origin: *`` and exposes the mock's own
failure header; the body and every other header stay as they are. ``OPTIONS`` on the path
is a preflight's answer: 204, no body, the methods the API takes (GET, POST), the headers
the browser asked for, cached for ten minutes; it is not journaled or billed. With CORS
off, ``OPTIONS`` stays a 405 in the API's shape, as any other method.

``*`` is enough: the API's key travels in the query or the form, never in a cookie, so no
request needs credentials. The admin API never gets these headers: a page from another
origin must not read or change the mock (:mod:`.origin` refuses its writes).

Two doors, one set of headers: the event-loop server (:mod:`.door_async`) adds them to
whatever it sends on the path, and a WSGI server gets them from :class:`CorsWsgi`
(``create_app`` installs it), which leaves alone what the event-loop server handles
(:data:`DONE_KEY`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from contract import PATH

__all__ = [
    "ANSWER_HEADERS",
    "DONE_KEY",
    "CorsWsgi",
    "asgi_preflight",
    "asgi_send",
    "preflight_headers",
]

#: Set in a WSGI environ by the event-loop server: CORS is handled there already.
DONE_KEY = "juhe_mock.cors_done"
#: What every answer on the API path carries with CORS on.
ANSWER_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "X-Juhe-Mock-Error"),
)
#: The methods a preflight allows: the API's own.
METHODS = "GET, POST"
#: How long a browser may keep a preflight's answer (seconds).
MAX_AGE = "600"
# A header list as browsers send it: names, commas and spaces, nothing else is echoed.
_NAMES = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~, -]{0,1024}$")

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


def preflight_headers(requested: str | None) -> list[tuple[str, str]]:
    """A preflight's answer headers; ``requested``: its Access-Control-Request-Headers."""
    allowed = requested.strip() if requested and _NAMES.match(requested) else "Content-Type"
    return [
        ANSWER_HEADERS[0],
        ("Access-Control-Allow-Methods", METHODS),
        ("Access-Control-Allow-Headers", allowed or "Content-Type"),
        ("Access-Control-Max-Age", MAX_AGE),
        ("Vary", "Access-Control-Request-Headers"),
    ]


_RAW_ANSWER = [(name.lower().encode("latin-1"), value.encode("latin-1"))
               for name, value in ANSWER_HEADERS]  # fmt: skip


def asgi_send(send: Send) -> Send:
    """``send`` with the CORS headers added to the answer's start."""

    async def with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *_RAW_ANSWER]}
        await send(message)

    return with_cors


async def asgi_preflight(scope: MutableMapping[str, Any], send: Send) -> None:
    """Answer an ``OPTIONS`` on the API path (the event-loop server)."""
    requested = None
    for name, value in scope["headers"]:
        if name == b"access-control-request-headers":
            requested = bytes(value).decode("latin-1")
    headers = [(n.lower().encode("latin-1"), v.encode("latin-1"))
               for n, v in preflight_headers(requested)]  # fmt: skip
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CorsWsgi:
    """A WSGI app (the mock's ``wsgi_app``) with CORS on the API path.

    :param inner: the app that answers (``FastPath``); kept as :attr:`inner`.
    """

    def __init__(self, inner: WSGIApp) -> None:
        self.inner = inner

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get(DONE_KEY):
            return self.inner(environ, start_response)
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            start_response("204 No Content", preflight_headers(requested))
            return [b""]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *ANSWER_HEADERS], exc_info)

        return self.inner(environ, start)
