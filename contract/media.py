"""The HTTP media types of the API's answers."""

from __future__ import annotations

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSONP_CALLBACK_PATTERN",
    "JSONP_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "is_json_media",
]

#: Every API-level answer, errors included: HTTP 200 with this Content-Type (docs/wire.md).
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
#: An answer to a request with a JSONP ``callback``: ``callback({...})``.
JSONP_CONTENT_TYPE = "text/javascript;charset=utf-8"
#: A JSONP callback worth echoing: a dotted JavaScript name path (at most 5 names of at most
#: 64 characters), nothing that could inject markup. ECMA-262 and Python ``re`` alike.
JSONP_CALLBACK_PATTERN = r"^[A-Za-z_$][0-9A-Za-z_$]{0,63}(\.[A-Za-z_$][0-9A-Za-z_$]{0,63}){0,4}$"
#: What the vendor document asks a POST to send.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def is_json_media(content_type: str) -> bool:
    """Whether a Content-Type names JSON (``application/json``, ``text/json``, ``…+json``)."""
    media = content_type.split(";")[0].strip().lower()
    return media in ("application/json", "text/json") or media.endswith("+json")
