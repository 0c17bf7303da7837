"""The dashboard at ``/__admin/ui``: one static page over the admin API, and ``/`` leading to it.

The page (``ui/index.html``, ``style.css`` and the ES modules ``app.js``, ``api.js``,
``dom.js``, ``journal.js``, ``spend.js``: package data, no build step, nothing fetched
from elsewhere) holds no data: everything it shows comes from the admin API, fetched
by its script under the admin API's own guard. So the page is served where that API is:
to loopback clients, or, when the mock has an admin token, to anyone, since a browser cannot
send the token with a navigation; the page then asks for the token and sends it as a
header on its fetches (never in a URL). ``GET /`` without a query string redirects to the
page; with one, or as a POST, it is a client that left out the API path, and gets the 404
that names the path.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from flask import Blueprint, Response, abort, current_app, redirect, request
from werkzeug.wrappers import Response as Redirect

from ..runtime import MockRuntime
from .admin import _error, _is_loopback
from .door_flask import EXTENSION

__all__ = ["PAGE", "ui"]

#: Where the dashboard is served.
PAGE = "/__admin/ui"

ui = Blueprint("ui", __name__)

_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
}
#: The page's files, and nothing else, are served: a name is looked up here, never joined
#: to a path.
_FILES = ("index.html", "style.css", "app.js", "api.js", "dom.js", "journal.js", "spend.js")

# The page runs only its own script and style and talks only to its own origin; no frame
# may embed it (its buttons change the mock).
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=len(_FILES))
def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath("ui").joinpath(name).read_bytes()


def _file(name: str) -> Response:
    if name not in _FILES:
        abort(404)
    response = Response(_read(name), content_type=_TYPES[name.rsplit(".", 1)[1]])
    response.headers.update(_HEADERS)
    return response


@ui.before_request
def _guard() -> Response | None:
    if request.path == "/":
        return None
    runtime: MockRuntime = current_app.extensions[EXTENSION]
    if runtime.config.admin_token is not None or _is_loopback(request.remote_addr):
        return None
    return _error(403, "forbidden", "the admin API and its dashboard answer loopback clients only")


@ui.route("/", methods=["GET", "POST"])
def root() -> Redirect:
    if request.method != "GET" or request.query_string:
        abort(404)  # a client that left out the API path: the 404 says where it is
    return redirect(PAGE, 302)


@ui.get(PAGE)
def page() -> Response:
    return _file("index.html")


@ui.get(PAGE + "/")
def page_slash() -> Redirect:
    return redirect(PAGE, 301)


@ui.get(PAGE + "/<name>")
def asset(name: str) -> Response:
    return _file(name)
