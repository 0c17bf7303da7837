"""``juhe-mock`` as a real child process, driven like a MockServer over its admin API.

The one launcher for every test that needs the command itself: the first stdout line gives
the URL, :meth:`ServedMock.stop` sends SIGTERM and waits, and the request log (stderr) is
kept for the test to read and handed to the session's leak check when the process stops.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from .reliability.leaks import SESSION

EXE = shutil.which("juhe-mock", path=str(Path(sys.executable).parent))
COMMAND = [EXE] if EXE else [sys.executable, "-m", "mock_server"]
SERVING = "juhe-mock serving on "
#: How long a start may take on a busy CI machine before the test gives up.
START_TIMEOUT_S = 60


class ServedMock:
    """``juhe-mock --port 0 ARGS...``, started at once; usable as a context manager."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_S)
        line = self.process.stdout.readline().strip() if ready else ""
        if not line.startswith(SERVING):
            self.stop()
            raise AssertionError(f"juhe-mock {' '.join(args)} did not start: first line {line!r}")
        self.url = line.removeprefix(SERVING)

    def __enter__(self) -> ServedMock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s; safe to call twice."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if not self._log.closed:
            SESSION.saw(f"juhe-mock log ({' '.join(self.args)})", self.log_text())
            self._log.close()

    def log_text(self) -> str:
        """What the process wrote to stderr so far: its request log."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

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
