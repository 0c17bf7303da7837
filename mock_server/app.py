"""The Flask app: thin routes that parse, ask the engine, record and put bytes on the wire.

Answers to requests that are not the API:

- the API path with a method other than GET/POST (HEAD is GET without a body): HTTP 405,
  ``Allow: GET, POST``, and a 234802 body in the API's own shape;
- a body over the size limit on the API path: HTTP 413 and a 234802 body;
- any other path: HTTP 404 with a small JSON body ``{"error": "not_found", ...}``; it is not
  an API answer, so it does not pretend to be one.

No request, however malformed, gets a 5xx.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from contract import PATH, error_body

from .admin import admin
from .answer import REQUEST_LOG, _Stamps, answer
from .engine import Call
from .fastpath import FastPath
from .params import api_params
from .runtime import MockConfig, MockRuntime
from .wire import CONTENT_TYPE, encode

__all__ = ["EXTENSION", "REQUEST_LOG", "_Stamps", "create_app", "runtime_of"]

#: Where the app keeps its runtime: ``app.extensions[EXTENSION]``.
EXTENSION = "juhe_mock"


def runtime_of(app: Flask) -> MockRuntime:
    runtime: MockRuntime = app.extensions[EXTENSION]
    return runtime


def _api_error(status: int, detail: str) -> Response:
    return Response(
        encode(error_body(234802, detail=detail)), status=status, content_type=CONTENT_TYPE
    )


def query() -> Response:
    """``/mobile_online_sha256_cucc/query``: the API (what the fast path leaves to Flask)."""
    started = time.perf_counter()
    runtime: MockRuntime = current_app.extensions[EXTENSION]
    # The request itself rather than the context-local proxy: each proxy access costs a
    # lookup, and the hot path reads the request a dozen times.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    try:
        values = api_params(req)
    except RequestEntityTooLarge:
        return _api_error(413, "请求体过大")
    ip = req.remote_addr
    call = Call(req.method, values.get("key"), values.get("mobile"), ip or "", req.headers)
    reply = answer(runtime, call, ip, values.get("callback"), started)
    if reply.fault is None:
        return Response(reply.payload, content_type=reply.content_type)
    status, headers, body = reply.fault
    return Response(body, status=status, headers=headers, direct_passthrough=True)


def _http_error(error: HTTPException) -> Response:
    """Every 4xx the framework raises, answered as documented in the module docstring."""
    if request.path == PATH and error.code == 405:
        response = _api_error(405, "请求方式不支持,请用GET或POST")
        response.headers["Allow"] = "GET, POST"
        return response
    if request.path == PATH and error.code == 413:
        return _api_error(413, "请求体过大")
    body = {
        "error": (error.name or "error").lower().replace(" ", "_"),
        "message": error.description,
    }
    if error.code == 404:
        body["hint"] = f"the API is at {PATH}"
    return Response(encode(body), status=error.code or 400, content_type=CONTENT_TYPE)


def create_app(config: MockConfig | Mapping[str, Any] | None = None) -> Flask:
    """Build the mock's WSGI app.

    :param config: a :class:`MockConfig`, a mapping of its fields (``scenarios``, ``seed``,
        ``admin_token``, ``store``, ``journal_size``, ``max_content_length``, ``clock``), or
        None for the built-in defaults.
    :raises ConfigError: for an invalid scenario.
    """
    settings = MockConfig.of(config)
    app = Flask("mock_server")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = MockRuntime(settings)
    app.add_url_rule(PATH, "query", query, methods=["GET", "POST"], provide_automatic_options=False)
    app.register_blueprint(admin)
    app.register_error_handler(HTTPException, _http_error)
    # Plain API requests are answered before Flask builds a request (see fastpath.py);
    # the rest, and every test client, still go through ``app.wsgi_app``.
    app.wsgi_app = FastPath(app, app.wsgi_app, EXTENSION)  # type: ignore[method-assign]
    return app
