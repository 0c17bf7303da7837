"""Fixtures for the mock's tests: one server per session, reset for every test, and a
``fetch`` helper that validates every API body in strict mode before returning it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH, mobile_sha256
from contract.validate import validate
from mock_server import MockServer
from mock_server.scenario import library

#: The shipped named scenarios (package data; fixtures/scenarios links here).
SCENARIOS = Path(library.__file__).parent / "named"
JSON_TYPE = "application/json;charset=utf-8"


def check_body(body: Any, reason: str | None = None) -> None:
    """Assert that a body the mock sent is a contract-valid answer, strict mode."""
    violations = validate(body, strict=True, reason=reason)
    assert violations == [], violations


def fetch(
    base: str | MockServer,
    params: dict[str, Any] | None = None,
    *,
    method: str = "GET",
    reason: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Call the API, assert HTTP 200 and the JSON content type, validate the body, return it."""
    url = (base.url if isinstance(base, MockServer) else base) + PATH
    if method == "GET":
        response = requests.get(url, params=params, timeout=10, **kwargs)
    else:
        response = requests.request(method, url, data=params, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == JSON_TYPE
    body: dict[str, Any] = json.loads(response.content.decode("utf-8"))
    check_body(body, reason)
    return body


def query(phone: str, key: str = "test-key", **extra: str) -> dict[str, str]:
    """Parameters for a call about ``phone`` (hashed here, as a client would)."""
    return {"key": key, "mobile": mobile_sha256(phone), **extra}


@pytest.fixture(scope="session")
def session_mock() -> Iterator[MockServer]:
    with MockServer(seed=0) as server:
        yield server


@pytest.fixture
def mock(session_mock: MockServer) -> MockServer:
    """The session's server, back to the built-in defaults with empty state."""
    session_mock.reset()
    return session_mock
