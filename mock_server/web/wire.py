"""Decisions onto the wire: the exact bytes of each body, as ``contract.bodies`` shapes them.

Bodies are compact UTF-8 JSON (``ensure_ascii=False``) in the contract's key order, served
as ``contract.JSON_CONTENT_TYPE`` (a JSONP answer as ``contract.JSONP_CONTENT_TYPE``). The
bytes of every default error body and the template of the success body are built once, at
import.
"""

from __future__ import annotations

import re
from typing import Any

from contract import (
    ERROR_CODES,
    JSON_CONTENT_TYPE,
    JSONP_CALLBACK_PATTERN,
    JSONP_CONTENT_TYPE,
    SUCCESS_CODE,
    TENURE_CODES,
    error_body,
    success_body,
)
from contract.bodies import wire_json

from ..engine import Decision

__all__ = ["CONTENT_TYPE", "api_error_bytes", "body_of", "encode", "jsonp", "render", "wrap"]

CONTENT_TYPE = JSON_CONTENT_TYPE
#: A JSONP callback we echo back: the contract's pattern (ASCII names only, so that no
#: markup can be injected and the name always encodes as ASCII).
_CALLBACK = re.compile(JSONP_CALLBACK_PATTERN)


#: The wire bytes of a body: compact JSON, UTF-8, no ASCII escaping.
encode = wire_json


_MARK = "@@ORDERID@@"
_SUCCESS_PARTS = {
    code: tuple(encode(success_body(code, _MARK)).split(_MARK.encode())) for code in TENURE_CODES
}
_ERROR_BYTES = {code: encode(error_body(code)) for code in ERROR_CODES}


def body_of(decision: Decision, orderid: str | None) -> dict[str, Any]:
    """The body (a dict in wire key order) for a decision that has an answer."""
    assert decision.error_code is not None, "a fault replaced this answer"
    if decision.error_code == SUCCESS_CODE:
        assert decision.tenure is not None and orderid is not None
        return success_body(decision.tenure, orderid)
    return error_body(decision.error_code, decision.reason, detail=decision.detail)


def render(decision: Decision, orderid: str | None) -> bytes:
    """The body's bytes; the common cases come from precomputed bytes."""
    if decision.error_code == SUCCESS_CODE and decision.tenure is not None and orderid:
        head, tail = _SUCCESS_PARTS[decision.tenure]
        return head + orderid.encode("ascii") + tail
    if decision.error_code is None:
        return b""  # a fault replaced the answer: there is no body to render
    if decision.reason is None and decision.detail is None:
        cached = _ERROR_BYTES.get(decision.error_code)
        if cached is not None:
            return cached
    return encode(body_of(decision, orderid))


def wrap(payload: bytes, callback: str | None) -> tuple[bytes, str]:
    """The bytes and content type to send: JSONP for a valid ``callback``, else plain JSON."""
    if not callback or _CALLBACK.fullmatch(callback) is None:
        return payload, CONTENT_TYPE
    return callback.encode("ascii") + b"(" + payload + b")", JSONP_CONTENT_TYPE


def jsonp(payload: bytes, callback: str | None) -> bytes:
    """Wrap the body for a valid JSONP ``callback``; anything else gets plain JSON."""
    return wrap(payload, callback)[0]


def api_error_bytes(detail: str) -> bytes:
    """The body of an HTTP error on the API path (405, 408, 413, 400): a 234802 with the
    detail, in the API's own shape."""
    return encode(error_body(234802, detail=detail))
