"""The API path's raw door: plain requests answered from the WSGI environ, before Flask.

Flask's request and response machinery (routing, the request context, werkzeug's
``Request`` and ``Response``) cost more per request than the whole scenario engine, journal
and ledger. :class:`FastPath` wraps ``app.wsgi_app`` and answers the requests it is sure
of itself, by the same :func:`.answer.answer` the Flask door calls: GET, or POST
with no body type or a urlencoded form of a known, acceptable length, on exactly
``contract.PATH``. Everything else (other paths and methods, HEAD, the admin API,
multipart, chunked or oversized bodies, other body types) goes to Flask untouched.

The choice is made from the environ alone, before any state is touched, so no request is
ever decided twice. A fault's response (status pages, drops, drips) is built by the same
werkzeug ``Response`` the Flask view builds, so its status line and headers are the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wrappers import Response

from contract import PATH

from ..engine import Call
from .answer import answer, waiter
from .params import FORM, add_body, mimetype_of, parse_query, query_params

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["FastPath"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastPath:
    """``app.wsgi_app`` with the plain API requests answered without Flask.

    :param app: the Flask app (its runtime and size limit are read per request, as the
        view reads them, so changing either later still counts).
    :param inner: the app's own ``wsgi_app``, which serves everything else.
    """

    def __init__(self, app: Flask, inner: WSGIApp, extension: str) -> None:
        self.app = app
        self.inner = inner
        self._extension = extension

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or "HTTP_TRANSFER_ENCODING" in environ:
            return self.inner(environ, start_response)
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD")
        if method == "GET":
            values = query_params(environ.get("QUERY_STRING", ""))
        elif method == "POST":
            body = self._form_body(environ)
            if body is None:
                return self.inner(environ, start_response)
            values = add_body(query_params(environ.get("QUERY_STRING", "")), body)
        else:
            return self.inner(environ, start_response)
        ip = environ.get("REMOTE_ADDR")
        call = Call(
            method, values.get("key"), values.get("mobile"), ip or "", EnvironHeaders(environ)
        )
        runtime = self.app.extensions[self._extension]
        wait = waiter(environ, runtime)
        try:
            reply = answer(runtime, call, ip, values.get("callback"), started, wait)
        except Exception as error:
            return self.failed(environ, start_response, error)
        wait(reply.delay)
        if reply.fault is None:
            payload = reply.payload
            start_response(
                "200 OK",
                [("Content-Type", reply.content_type), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        status, headers, content = reply.fault
        response = Response(content, status=status, headers=headers, direct_passthrough=True)
        return response(environ, start_response)

    def _form_body(self, environ: dict[str, Any]) -> dict[str, str] | None:
        """A POST's form parameters ({} when it has no body type), or None when the body
        is one that Flask should judge (another type, no or odd length, too large)."""
        content_type = environ.get("CONTENT_TYPE")
        if not content_type:
            return {}
        if mimetype_of(content_type) != FORM:
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if not (length.isascii() and length.isdigit()):
            return None
        size = int(length)
        limit = self.app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and size > limit:
            return None
        return parse_query(environ["wsgi.input"].read(size)) if size else {}

    def failed(
        self, environ: dict[str, Any], start_response: Callable[..., Any], error: Exception
    ) -> Iterable[bytes]:
        """An exception from the store (a shared state that failed): answered by the app's
        error handlers, as Flask would have answered it from the view."""
        app = self.app
        with app.request_context(environ):
            try:
                rv = app.handle_user_exception(error)
            except Exception as unhandled:
                rv = app.handle_exception(unhandled)
            response = app.finalize_request(rv, from_error_handler=True)
        return response(environ, start_response)
