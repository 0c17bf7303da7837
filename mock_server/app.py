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

import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from contract import PATH, error_body

from .admin import admin
from .engine import Call, Decision
from .faults import apply_fault
from .models import BEIJING
from .params import api_params
from .runtime import MockConfig, MockRuntime
from .wire import CONTENT_TYPE, encode, render, wrap

__all__ = ["EXTENSION", "REQUEST_LOG", "create_app", "runtime_of"]

#: Where the app keeps its runtime: ``app.extensions[EXTENSION]``.
EXTENSION = "juhe_mock"
#: One log record per request, with the key's fingerprint and the mobile's hash only.
REQUEST_LOG = logging.getLogger("mock_server.requests")


def runtime_of(app: Flask) -> MockRuntime:
    runtime: MockRuntime = app.extensions[EXTENSION]
    return runtime


def _api_error(status: int, detail: str) -> Response:
    return Response(
        encode(error_body(234802, detail=detail)), status=status, content_type=CONTENT_TYPE
    )


class _Stamps:
    """Journal times: Beijing ISO 8601 to the millisecond, the date and time formatted once
    per second rather than once per request (``datetime`` formatting is most of the cost)."""

    def __init__(self) -> None:
        self._cached: tuple[int, str] = (-1, "")  # one tuple: replaced atomically

    def __call__(self, now: float) -> str:
        second = int(now)
        micro = round((now - second) * 1_000_000)  # rounded as datetime.fromtimestamp does
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        cached = self._cached
        if cached[0] != second:
            text = datetime.fromtimestamp(second, BEIJING).strftime("%Y-%m-%dT%H:%M:%S")
            cached = self._cached = (second, text)
        return f"{cached[1]}.{micro // 1000:03d}+08:00"


_stamp = _Stamps()


def _record(
    runtime: MockRuntime, decision: Decision, started: float, method: str, ip: str | None
) -> None:
    fault = decision.fault.kind.value if decision.fault is not None else None
    entry: dict[str, Any] = {
        "time": _stamp(runtime.clock()),
        "method": method,
        "ip": ip,
        "key": decision.key_fp,
        "mobile": decision.mobile_hash,
        "outcome": {"error_code": decision.error_code, "code": decision.tenure, "fault": fault},
        "billable": decision.billable,
        "rule": decision.rule,
        "step": decision.step,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    runtime.store.journal_append(entry)
    if REQUEST_LOG.isEnabledFor(logging.INFO):
        REQUEST_LOG.info("request", extra={"entry": entry})


def query() -> Response:
    """``/mobile_online_sha256_cucc/query``: the API."""
    started = time.perf_counter()
    runtime: MockRuntime = current_app.extensions[EXTENSION]
    # The request itself rather than the context-local proxy: each proxy access costs a
    # lookup, and the hot path reads the request a dozen times.
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    try:
        values = api_params(req)
    except RequestEntityTooLarge:
        return _api_error(413, "请求体过大")
    key = values.get("key")
    mobile = values.get("mobile")
    method = req.method
    ip = req.remote_addr
    decision = runtime.engine.decide(Call(method, key, mobile, ip or "", req.headers))
    orderid = None
    if decision.tenure is not None:
        orderid = runtime.orderids.next()
    if decision.billable and decision.key_fp is not None and decision.tenure is not None:
        runtime.store.ledger_add(decision.key_fp, decision.tenure)
    payload, content_type = wrap(render(decision, orderid), values.get("callback"))
    if decision.latency:
        runtime.pause(decision.latency)
    _record(runtime, decision, started, method, ip)
    if decision.fault is None:
        return Response(payload, content_type=content_type)
    status, headers, body = apply_fault(decision.fault, payload, content_type, runtime.pause)
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
    return app
