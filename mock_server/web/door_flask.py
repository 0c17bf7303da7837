"""The API path's full door: a Flask view for what the raw door leaves to Flask.

Multipart bodies, chunked or oversized bodies, HEAD and every test client's request come
in here; plain GET and form POST requests come in by :mod:`.door_raw`. Both call
:func:`.answer.answer`, so the decision, the record and the bytes are the same.
"""

from __future__ import annotations

import time

from flask import Request, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..engine import Call
from ..runtime import MockRuntime
from .answer import answer, waiter
from .params import api_params
from .wire import CONTENT_TYPE, api_error_bytes

__all__ = ["EXTENSION", "api_error", "query"]

#: Where the app keeps its runtime: ``app.extensions[EXTENSION]``.
EXTENSION = "juhe_mock"


def api_error(status: int, detail: str) -> Response:
    """An HTTP error on the API path, in the API's own shape (a 234802 with the detail)."""
    return Response(api_error_bytes(detail), status=status, content_type=CONTENT_TYPE)


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
        return api_error(413, "请求体过大")
    ip = req.remote_addr
    call = Call(req.method, values.get("key"), values.get("mobile"), ip or "", req.headers)
    wait = waiter(req.environ, runtime)
    reply = answer(runtime, call, ip, values.get("callback"), started, wait)
    wait(reply.delay)
    if reply.fault is None:
        return Response(reply.payload, content_type=reply.content_type)
    status, headers, body = reply.fault
    return Response(body, status=status, headers=headers, direct_passthrough=True)
