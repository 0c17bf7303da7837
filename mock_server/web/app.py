"""``create_app``: the mock's WSGI app, wired in one place for every way of running it.

Answers to requests that are not the API:

- the API path with a method other than GET/POST (HEAD is GET without a body): HTTP 405,
  ``Allow: GET, POST``, and a 234802 body in the API's own shape;
- a body over the size limit on the API path: HTTP 413 and a 234802 body;
- state that the store cannot keep (Redis down): HTTP 503, on the API path in the API's
  own shape (10014, the vendor's internal error; the header ``X-Juhe-Mock-Error`` says
  why), elsewhere as the admin API's errors;
- ``/`` (no query string): a redirect to the dashboard, ``/__admin/ui`` (:mod:`.ui`);
- any other path: HTTP 404 with a small JSON body ``{"error": "not_found", ...}``; it is not
  an API answer, so it does not pretend to be one.

No request, however malformed, gets a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from contract import PATH, error_body

from ..config import MockConfig
from ..runtime import MockRuntime
from ..state.store import StateUnavailable, Store, failures_of
from .admin import admin, refuse_per_worker
from .cors import CorsWsgi
from .door_flask import EXTENSION, api_error, query
from .door_raw import FastPath
from .setup import build_runtime
from .ui import ui
from .wire import CONTENT_TYPE, encode

__all__ = ["EXTENSION", "FAILURE_HEADER", "create_app", "runtime_of"]

#: The header that says why the mock itself failed (a 503), where the body cannot.
FAILURE_HEADER = "X-Juhe-Mock-Error"


def runtime_of(app: Flask) -> MockRuntime:
    runtime: MockRuntime = app.extensions[EXTENSION]
    return runtime


def _http_error(error: HTTPException) -> Response:
    """Every 4xx the framework raises, answered as documented in the module docstring."""
    if request.path == PATH and error.code == 405:
        response = api_error(405, "请求方式不支持,请用GET或POST")
        response.headers["Allow"] = "GET, POST"
        return response
    if request.path == PATH and error.code == 413:
        return api_error(413, "请求体过大")
    body = {
        "error": (error.name or "error").lower().replace(" ", "_"),
        "message": error.description,
    }
    if error.code == 404:
        body["hint"] = f"the API is at {PATH}"
    return Response(encode(body), status=error.code or 400, content_type=CONTENT_TYPE)


def _state_failed(store: Store) -> Any:
    where = getattr(store, "url", None)
    held = f"the mock's shared state (Redis at {where})" if where else "the mock's state"

    def failed(error: Exception) -> Response:
        message = f"{held} failed: {type(error).__name__}"
        if isinstance(error, StateUnavailable):  # its message never holds a password
            message += f": {error}"
        if request.path != PATH:
            body = {"error": "state_unavailable", "message": message}
            return Response(encode(body), status=503, content_type=CONTENT_TYPE)
        response = Response(encode(error_body(10014)), status=503, content_type=CONTENT_TYPE)
        response.headers[FAILURE_HEADER] = message  # the body has no room for why
        return response

    return failed


def _proxied_elsewhere() -> Response:
    """The API path of a guard proxy, reached through Flask: a HEAD (never forwarded: it
    would be billed and carry no answer back) is a 405; the WSGI app itself (a test client,
    another WSGI server) does not proxy: the proxy answers on juhe-mock's event loop."""
    if request.method == "HEAD":
        response = api_error(405, "请求方式不支持,请用GET或POST")
        response.headers["Allow"] = "GET, POST"
        return response
    response = Response(encode(error_body(10014)), status=503, content_type=CONTENT_TYPE)
    response.headers[FAILURE_HEADER] = (
        "the guard proxy answers on juhe-mock's event loop (juhe-mock --upstream, "
        "MockServer(upstream=...)), not through the WSGI app"
    )
    return response


def create_app(
    config: MockConfig | Mapping[str, Any] | None = None, *, runtime: MockRuntime | None = None
) -> Flask:
    """Build the mock's WSGI app: runtime, store, API doors, admin API, error answers.

    :param config: a :class:`~mock_server.config.MockConfig`, a mapping of its fields, or
        None for the built-in defaults (the environment is not read here; see
        :meth:`MockConfig.build`).
    :param runtime: a runtime already built (:func:`.setup.build_runtime`) to serve instead;
        then ``config`` is not read.
    :raises ConfigError: for an invalid scenario.
    :raises SettingsError: for a setting that cannot be used.
    :raises StateError: for a ``state`` URL that cannot be used.
    """
    if runtime is None:
        runtime = build_runtime(config)
    settings, store = runtime.config, runtime.store
    app = Flask("mock_server")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.extensions[EXTENSION] = runtime
    view = query if runtime.proxy is None else _proxied_elsewhere
    app.add_url_rule(PATH, "query", view, methods=["GET", "POST"], provide_automatic_options=False)
    app.register_blueprint(admin)
    app.register_blueprint(ui)  # the dashboard, /__admin/ui, and / leading to it
    if settings.workers > 1:
        refuse_per_worker(app, settings.workers, shared_state=settings.state is not None)
    app.register_error_handler(HTTPException, _http_error)
    failed = _state_failed(store)
    for failure in failures_of(store):
        app.register_error_handler(failure, failed)
    # Plain API requests are answered before Flask builds a request (door_raw.py); the
    # rest, and every test client, still go through ``app.wsgi_app``.
    if runtime.proxy is None:
        app.wsgi_app = FastPath(app, app.wsgi_app, EXTENSION)  # type: ignore[method-assign]
    if settings.cors:  # headers on the API path's answers, and its preflight (cors.py)
        app.wsgi_app = CorsWsgi(app.wsgi_app)  # type: ignore[method-assign]
    return app
