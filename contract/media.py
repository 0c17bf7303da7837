"""The HTTP media types of the API's answers."""

from __future__ import annotations

__all__ = ["FORM_CONTENT_TYPE", "JSONP_CONTENT_TYPE", "JSON_CONTENT_TYPE"]

#: Every API-level answer, errors included: HTTP 200 with this Content-Type (wire-facts).
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
#: An answer to a request with a JSONP ``callback``: ``callback({...})``.
JSONP_CONTENT_TYPE = "text/javascript;charset=utf-8"
#: What the vendor document asks a POST to send.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
