"""``juhe-mock`` on granian (its default) in a child process, driven like a MockServer.

Lets a test that takes a :class:`~mock_server.MockServer` run against the real command
too: the scenario, the journal, the ledger and reset all go over the admin API.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

EXE = shutil.which("juhe-mock", path=str(Path(sys.executable).parent))
COMMAND = [EXE] if EXE else [sys.executable, "-m", "mock_server"]
SERVING = "juhe-mock serving on "


class ServedMock:
    """``juhe-mock --port 0 ARGS...``; :meth:`stop` sends SIGTERM and waits."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8",
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith(SERVING):
            self.stop()
            raise AssertionError(f"unexpected first line from juhe-mock: {line!r}")
        self.url = line.removeprefix(SERVING)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.url}/__admin{path}", json=body, timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def configure(self, scenario: Mapping[str, Any]) -> None:
        self._admin("PUT", "/scenarios", dict(scenario))

    @property
    def requests(self) -> list[dict[str, Any]]:
        answer = self._admin("GET", "/requests")
        return list(answer["requests"] if isinstance(answer, dict) else answer)

    @property
    def usage(self) -> dict[str, Any]:
        return dict(self._admin("GET", "/usage"))

    def reset(self) -> None:
        self._admin("POST", "/reset")
