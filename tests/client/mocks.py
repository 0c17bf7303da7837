"""The mock in two forms for the client's integration tests, behind one small interface.

``InProcessMock`` wraps ``mock_server.MockServer``; ``SubprocessMock`` runs ``juhe-mock
--port 0`` and talks to its admin API. Both record every HTTP answer the client receives
(a ``requests`` response hook) so that each one is checked against the contract.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import requests

from contract import validate
from mock_server import MockServer

SERVING = "juhe-mock serving on "


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
            body = json.loads(content)
            assert validate(body, strict=True) == [], (body, validate(body, strict=True))
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


def _juhe_mock_command() -> list[str]:
    script = Path(sys.executable).parent / "juhe-mock"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "mock_server"]


class SubprocessMock:
    """``juhe-mock --port 0`` in a child process; stopped with SIGTERM."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def start(self) -> SubprocessMock:
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            # waitress: the client's retry rules tell a drop before the first byte from a
            # cut answer, and granian drops exactly only when one connection from the
            # client's address waits (docs/scaling.md); these tests keep a pool open.
            [*_juhe_mock_command(), "--server", "waitress", "--port", "0", "--threads", "4"],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        if not ready:
            self.stop()
            raise AssertionError("juhe-mock printed nothing within 60 s")
        line = self.process.stdout.readline().strip()
        if not line.startswith(SERVING):
            self.stop()
            raise AssertionError(f"unexpected first line from juhe-mock: {line!r}")
        self.url = line[len(SERVING) :]
        return self

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=15)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/__admin{path}", json=body, timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def configure(self, scenario: Mapping[str, Any]) -> None:
        self._admin("PUT", "/scenarios", dict(scenario))

    def journal(self) -> list[dict[str, Any]]:
        answer = self._admin("GET", "/requests")
        return list(answer["requests"] if isinstance(answer, dict) else answer)

    def usage(self) -> dict[str, Any]:
        return dict(self._admin("GET", "/usage"))

    def reset(self) -> None:
        self._admin("POST", "/reset")

    def log_text(self) -> str:
        assert self._log is not None
        self._log.flush()
        self._log.seek(0)
        return self._log.read()
