"""A scripted transport for the client: real ``requests`` machinery, no server.

``ScriptedAdapter`` is mounted on a real ``requests.Session`` and answers each request
with the next scripted step (a body, raw bytes with a status, or an exception to raise),
recording every request and the timeout it was sent with.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from requests.adapters import HTTPAdapter

from client import TenureClient

KEY = "k3y-0123456789abcdef0123456789ab"
BASE_URL = "http://juhe.test"


@dataclass(frozen=True)
class Sent:
    """One request as the adapter saw it."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    timeout: Any

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body)


class ScriptedAdapter(HTTPAdapter):
    """Answers from a script; raises ``AssertionError`` if asked more than the script holds."""

    def __init__(self, *steps: Any) -> None:
        super().__init__()
        self.steps = list(steps)
        self.sent: list[Sent] = []

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        self.sent.append(
            Sent(
                method=request.method or "",
                url=request.url or "",
                headers=dict(request.headers),
                body=str(body),
                timeout=kwargs.get("timeout"),
            )
        )
        if not self.steps:
            raise AssertionError("the client sent more requests than the script holds")
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, content = step if isinstance(step, tuple) else (200, step)
        if not isinstance(content, bytes):
            content = json.dumps(content, ensure_ascii=False).encode("utf-8")
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers["Content-Type"] = "application/json;charset=utf-8"
        response.url = request.url or ""
        response.request = request
        return response


class Sleeps:
    """Records the waits instead of sleeping; also a clock that the waits advance."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[Any]:
    """``make_client(*steps, **options)`` -> (client, adapter); every client is closed after."""
    made: list[tuple[TenureClient, requests.Session]] = []

    def make(*steps: Any, **options: Any) -> tuple[TenureClient, ScriptedAdapter]:
        adapter = ScriptedAdapter(*steps)
        session = requests.Session()
        session.mount("http://", adapter)
        options.setdefault("base_url", BASE_URL)
        options.setdefault("sleep", sleeps.sleep)
        options.setdefault("clock", sleeps.clock)
        api = TenureClient(KEY, session=session, **options)
        made.append((api, session))
        return api, adapter

    yield make
    for api, session in made:
        api.close()
        session.close()
