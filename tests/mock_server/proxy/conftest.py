"""The guard proxy (mock_server/proxy) in front of a stand-in that plays live.

The stand-in (tests/helpers/standin.py) bills every well-formed call with its key and counts what
it receives; the proxy is a :class:`~mock_server.MockServer` with ``upstream`` set (or
``juhe-mock --upstream`` as a process, test_proxy_replicas.py for two replicas on one Redis). Every
answer a test reads is judged against the contract: the proxy's own strictly, the ones it
passes on from the stand-in tolerantly (they are live's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import pytest
import requests

from contract import PATH, validate
from mock_server import MockServer

from ...helpers.leaks import SESSION
from ...helpers.standin import STAND_IN_KEY, StandIn

#: What apps behind the proxy send as their key: anything (never forwarded).
APP_KEY = "staging-app-key-7f3e"

ProxyFactory = Callable[..., Any]


class Served(Protocol):
    """A proxy served somewhere: a MockServer, a juhe-mock process."""

    @property
    def url(self) -> str: ...


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    SESSION.add_secret(STAND_IN_KEY)  # the proxy's key: the session's leak check looks for it
    with StandIn() as server:
        yield server


@pytest.fixture
def make_proxy(stand_in: StandIn) -> Iterator[ProxyFactory]:
    """``make_proxy(**settings)``: a context manager serving the proxy for the stand-in."""

    @contextmanager
    def made(upstream: str | None = None, **settings: Any) -> Iterator[MockServer]:
        with MockServer(upstream=upstream or stand_in.url, upstream_key=STAND_IN_KEY,
                        proxy=settings) as server:  # fmt: skip
            yield server

    yield made


def ask(
    proxy: Served, mobile: str | None, *, key: str | None = APP_KEY, method: str = "POST",
    **extra: str,
) -> requests.Response:  # fmt: skip
    """One lookup through the proxy; its body judged (strictly when the proxy made it)."""
    values = {k: v for k, v in (("key", key), ("mobile", mobile)) if v is not None}
    values.update(extra)
    if method == "GET":
        response = requests.get(proxy.url + PATH, params=values, timeout=30)
    else:
        response = requests.post(proxy.url + PATH, data=values, timeout=30)
    assert STAND_IN_KEY not in response.text and STAND_IN_KEY not in str(response.headers)
    way = response.headers.get("X-Juhe-Proxy")
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(response.content)
        if way in ("local", "failed"):
            assert validate(body, strict=True) == []
        elif way == "refused":
            assert validate(body, strict=True, reason=body.get("reason")) == []
        elif response.headers.get("X-Juhe-Proxy-Violations") is None:
            assert validate(body, strict=False) == []
    return response
