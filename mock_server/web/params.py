"""The API's parameters from a request: the query string, then a form body (not for GET).

Werkzeug decodes a raw query string and a urlencoded body as strict UTF-8, so a byte that
is not UTF-8 (``?key=\\x80``, sent raw) would raise. Here every undecodable byte, raw or
percent-encoded, stays percent-encoded text (``%80``), as werkzeug does for
percent-encoded ones; the value is then judged as usual. The first value of a repeated
name counts, the query string before the body, as with ``request.values.get``.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from contract import FORM_CONTENT_TYPE

if TYPE_CHECKING:
    from flask import Request

__all__ = ["FORM", "add_body", "api_params", "mimetype_of", "parse_query", "query_params"]

FORM = FORM_CONTENT_TYPE
_ERRORS = "mock_server.percent"


def _percent(error: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each undecodable byte becomes ``%XX``."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(f"%{byte:02X}" for byte in bad), error.end


codecs.register_error(_ERRORS, _percent)


def parse_query(raw: bytes | str) -> dict[str, str]:
    """``name=value&...`` (bytes, or text already decoded) to a dict holding the first
    value of each name."""
    values: dict[str, str] = {}
    if not raw:
        return values
    text = raw if isinstance(raw, str) else raw.decode("utf-8", _ERRORS)
    if "%" not in text and "+" not in text:
        # Nothing to unquote (the usual hex hash and key): split by hand, 5x faster than
        # parse_qsl and the same result.
        for part in text.split("&"):
            if part:
                name, _, value = part.partition("=")
                if name not in values:
                    values[name] = value
        return values
    for name, value in parse_qsl(text, keep_blank_values=True, errors=_ERRORS):
        if name not in values:
            values[name] = value
    return values


def query_params(query: str) -> dict[str, str]:
    """The parameters of a WSGI ``QUERY_STRING`` (raw bytes carried as latin-1 text)."""
    # ASCII needs no round trip.
    return parse_query(query if query.isascii() else query.encode("latin-1"))


def mimetype_of(content_type: str) -> str:
    """The media type of a Content-Type, lower case, as werkzeug's ``Request.mimetype``."""
    return content_type.partition(";")[0].strip(" \t").lower()


def add_body(values: dict[str, str], body: dict[str, str]) -> dict[str, str]:
    """``values`` with the body's names it lacks (the query string's first value wins)."""
    for name, value in body.items():
        values.setdefault(name, value)
    return values


def api_params(request: Request) -> dict[str, str]:
    """The parameters of an API request, first value of each name.

    :raises RequestEntityTooLarge: for a body over the app's size limit.
    """
    values = query_params(request.environ.get("QUERY_STRING", ""))
    if request.method == "GET":
        return values
    mimetype = request.mimetype
    if mimetype == FORM:
        body = parse_query(request.get_data(cache=False))
    elif mimetype.startswith("multipart/"):
        body = {name: request.form[name] for name in request.form}
    else:
        return values
    return add_body(values, body)
