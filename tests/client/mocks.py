"""The mock in two forms for the client's integration tests, behind one small interface.

``InProcessMock`` wraps ``mock_server.MockServer``; ``SubprocessMock`` runs ``juhe-mock
--port 0`` and talks to its admin API. Both record every HTTP answer the client receives
(a ``requests`` response hook) so that each one is checked against the contract.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

import requests

from mock_server import MockServer

from ..helpers.answers import check_body
from ..helpers.served import ServedMock


class Answers:
    """Every answer a client session received; ``check`` validates the API answers strictly."""

    def __init__(self) -> None:
        self.received: list[tuple[int, bytes]] = []
        #: Set by a test that makes the mock send faults (5xx, garbled bodies) on purpose.
        self.faults_expected = False

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.received.append((response.status_code, response.content))

    def session(self) -> requests.Session:
        session = requests.Session()
        session.hooks["response"].append(self.hook)
        return session

    def bodies(self) -> list[Any]:
        """The decoded body of every 200 answer."""
        return [json.loads(content) for status, content in self.received if status == 200]

    def check(self) -> int:
        """Validate every answer (strict: this is our own mock); returns how many."""
        for status, content in self.received:
            assert status == 200, f"the mock answered HTTP {status}"
            check_body(json.loads(content))
        return len(self.received)


class Mock(Protocol):
    """What the tests need from a running mock."""

    url: str

    def configure(self, scenario: Mapping[str, Any]) -> None: ...

    def journal(self) -> list[dict[str, Any]]: ...

    def usage(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def log_text(self) -> str:
        """Whatever the mock wrote to its own log, where the test can read it."""
        ...


class InProcessMock:
    def __init__(self) -> None:
        self.server = MockServer()

    def start(self) -> InProcessMock:
        self.server.start()
        self.url = self.server.url
        return self

    def stop(self) -> None:
        self.server.stop()

    def configure(self, scenario: Mapping[str, Any]) -> None:
        self.server.configure(dict(scenario))

    def journal(self) -> list[dict[str, Any]]:
        return self.server.requests

    def usage(self) -> dict[str, Any]:
        return self.server.usage

    def reset(self) -> None:
        self.server.reset()

    def log_text(self) -> str:
        return ""  # in process, the mock's request log is a log record: caplog sees it


class SubprocessMock:
    """``juhe-mock`` in a child process (:class:`tests.helpers.served.ServedMock`), as a
    :class:`Mock`."""

    def start(self) -> SubprocessMock:
        # The client's retry rules tell a drop before the first byte from a cut answer; the
        # default server drops exactly whatever pool the client keeps open (by the client's
        # port, docs/architecture.md "Serving").
        self.served = ServedMock("--threads", "4")
        self.url = self.served.url
        return self

    def stop(self) -> None:
        self.served.stop()

    def configure(self, scenario: Mapping[str, Any]) -> None:
        self.served.scenario(scenario)

    def journal(self) -> list[dict[str, Any]]:
        return self.served.requests

    def usage(self) -> dict[str, Any]:
        return self.served.usage

    def reset(self) -> None:
        self.served.reset()

    def log_text(self) -> str:
        return self.served.log_text()
