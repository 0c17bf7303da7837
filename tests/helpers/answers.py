"""Every API answer the mock sends in the suite, judged against the contract (strict mode).

:func:`check_body` is the one judge of a parsed body; :func:`check_answer` judges a whole
HTTP answer from its bytes (JSONP unwrapped) and, given the parameters as sent, the error
the default scenario owes for them (an oracle); :func:`fetch` calls the API and returns
the judged body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

import requests

from contract import (
    JSON_CONTENT_TYPE,
    JSONP_CALLBACK_PATTERN,
    JSONP_CONTENT_TYPE,
    PATH,
    mobile_sha256,
)
from contract.validate import validate

#: The content type of every JSON answer of the API path.
JSON_TYPE = JSON_CONTENT_TYPE
FORM = "application/x-www-form-urlencoded"
_CALLBACK = re.compile(JSONP_CALLBACK_PATTERN)
_HASH = re.compile(r"[0-9a-fA-F]{64}")


class Served(Protocol):
    """A running mock: a MockServer, the plugin's ``juhe_mock``, a ServedMock."""

    @property
    def url(self) -> str: ...


def check_body(body: Any, reason: str | None = None) -> dict[str, Any]:
    """Assert that a body the mock sent is a contract-valid answer, strict mode (``reason``:
    the words it must carry); returns it."""
    violations = validate(body, strict=True, reason=reason)
    assert violations == [], (violations, body)
    checked: dict[str, Any] = body
    return checked


def fetch(
    base: str | Served,
    params: Mapping[str, Any] | None = None,
    *,
    method: str = "GET",
    reason: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Call the API, assert HTTP 200 and the JSON content type, validate the body, return it."""
    url = (base if isinstance(base, str) else base.url) + PATH
    if method == "GET":
        response = requests.get(url, params=params, timeout=10, **kwargs)
    else:
        response = requests.request(method, url, data=params, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == JSON_TYPE
    return check_body(json.loads(response.content.decode("utf-8")), reason)


def query(phone: str, key: str = "test-key", **extra: str) -> dict[str, str]:
    """Parameters for a call about ``phone`` (hashed here, as a client would)."""
    return {"key": key, "mobile": mobile_sha256(phone), **extra}


# --- an oracle: the answer owed for the bytes actually sent -------------------------------


def first_values(
    method: str, query: str, body: bytes, content_type: str | None
) -> dict[str, str] | None:
    """The parameters as the mock reads them: the query string, then (POST only) a
    urlencoded form body; undecodable bytes replaced; the first value of a duplicated name
    wins. None for a multipart body, which this oracle does not parse."""
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    media = (content_type or "").split(";")[0].strip().lower()
    if method == "POST" and body and media.startswith("multipart/"):
        return None
    if method == "POST" and body and media == FORM:
        text = body.decode("latin-1")
        pairs += parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


def expected_error(params: Mapping[str, str]) -> int | None:
    """The error the default scenario owes for these parameters, or None when any answer
    of the catalogue may come (a valid key and hash: magic numbers reach every code).

    The key is judged before the parameters (docs/wire.md), then ``mobile``."""
    if not params.get("key"):
        return 10001
    if _HASH.fullmatch(params.get("mobile", "")) is None:
        return 234802
    return None


def check_answer(
    status: int,
    content_type: str | None,
    payload: bytes,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Assert that one HTTP 200 API answer is what the contract and the oracle demand.

    :param params: the parameters as sent (see :func:`first_values`), for the oracle; None
        when they are unknown (then only the contract is checked).
    :returns: the parsed body.
    """
    assert status == 200, (status, payload[:300])
    callback = (params or {}).get("callback")
    text = payload.decode("utf-8")
    if params is not None and callback and _CALLBACK.fullmatch(callback):
        assert content_type == JSONP_CONTENT_TYPE, content_type
        assert text.startswith(callback + "(") and text.endswith(")"), text[:200]
        text = text[len(callback) + 1 : -1]
    elif params is not None:
        assert content_type == JSON_CONTENT_TYPE, content_type
    else:
        assert content_type in (JSON_CONTENT_TYPE, JSONP_CONTENT_TYPE), content_type
        if content_type == JSONP_CONTENT_TYPE:
            text = text[text.index("(") + 1 : -1]
    body = check_body(json.loads(text))
    if params is not None:
        owed = expected_error(params)
        if owed is not None:
            assert body["error_code"] == owed, (owed, body, dict(params))
    return body
