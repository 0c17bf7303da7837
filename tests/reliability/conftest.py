"""Shared pieces of the reliability tests: a running mock per module, and an oracle that
says, from the bytes actually sent, which answer the mock owes.

Every API answer these tests see goes through :func:`check_answer`, which validates the body
with ``contract.validate(strict=True)`` (after unwrapping JSONP)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest

from contract import JSON_CONTENT_TYPE, JSONP_CALLBACK_PATTERN, JSONP_CONTENT_TYPE
from contract.validate import validate
from mock_server import MockServer

_CALLBACK = re.compile(JSONP_CALLBACK_PATTERN)
_HASH = re.compile(r"[0-9a-fA-F]{64}")
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One mock on the built-in defaults for a whole module (stopped at its end)."""
    with MockServer(seed=0) as mock:
        yield mock


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    """The module's mock, back to the built-in defaults with empty state."""
    server.reset()
    return server


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

    The key is judged before the parameters (DESIGN-NOTES), then ``mobile``."""
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
    body: dict[str, Any] = json.loads(text)
    violations = validate(body, strict=True)
    assert violations == [], (violations, body)
    if params is not None:
        owed = expected_error(params)
        if owed is not None:
            assert body["error_code"] == owed, (owed, body, dict(params))
    return body
