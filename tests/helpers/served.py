"""``juhe-mock`` as a real child process, driven like a MockServer over its admin API.

The one launcher for every test that needs the command itself: ``--port 0`` and the first
stdout line gives the URL; :meth:`ServedMock.stop` sends SIGTERM, waits, and kills what is
left of its process group (granian's workers when the master was killed). The request log
(stderr) is kept for the test to read, after the stop too, and handed to the session's leak
check.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from contract import PATH

from .leaks import SESSION
from .paths import BIN
from .processes import Stopping, stop_process

EXE = shutil.which("juhe-mock", path=str(BIN))
#: The console script when it is installed (it is, in the project's venv), else the module.
COMMAND = [EXE] if EXE else [sys.executable, "-m", "mock_server"]
MODULE = [sys.executable, "-m", "mock_server"]
SERVING = "juhe-mock serving on "


def mock_command(*args: str) -> list[str]:
    """``juhe-mock --port 0 ARGS...`` as a command line (for a run that is not to serve)."""
    return [*COMMAND, "--port", "0", *args]


#: How long a start may take on a busy CI machine before the test gives up.
START_TIMEOUT_S = 60


class ServedMock(Stopping):
    """``juhe-mock --port 0 ARGS...``, started at once; usable as a context manager.

    :param env: variables added to this process's environment for the child.
    :param command: how to run it (:data:`COMMAND`, or :data:`MODULE` for ``python -m``).
    """

    def __init__(
        self, *args: str, env: Mapping[str, str] | None = None, command: Sequence[str] = COMMAND
    ) -> None:
        self.args = args
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self._final_log: str | None = None
        self.process = subprocess.Popen(
            [*command, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8",
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, start_new_session=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT_S)
        line = self.process.stdout.readline().strip() if ready else ""
        scheme = "https" if any(arg.startswith("--tls") for arg in args) else "http"
        if not re.fullmatch(re.escape(SERVING + scheme) + r"://127\.0\.0\.1:\d+", line):
            self.stop()
            raise AssertionError(
                f"juhe-mock {' '.join(args)} did not start: first line {line!r}\n{self.log_text()}"
            )
        self.url = line.removeprefix(SERVING)
        self.port = int(self.url.rsplit(":", 1)[1])
        #: The API's URL.
        self.endpoint = self.url + PATH

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s, then SIGKILL to any worker left; safe twice."""
        stop_process(self.process, timeout=15)
        with contextlib.suppress(ProcessLookupError):  # workers whose master was killed
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if not self._log.closed:
            text = self.log_text()
            self._final_log = text
            SESSION.saw(f"juhe-mock log ({' '.join(self.args)})", text)
            self._log.close()

    def log_text(self) -> str:
        """What the process wrote to stderr so far (all of it, once stopped): its request log."""
        if self._final_log is not None:
            return self._final_log
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def worker_pids(self) -> list[int]:
        """The processes whose parent is this one (granian's workers)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                        if int(stat.read().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                            found.append(int(entry))
                except (OSError, ValueError, IndexError):
                    continue
        return found

    # --- the admin API --------------------------------------------------------------------

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request to ``/__admin{path}``, whatever its status."""
        return requests.request(method, f"{self.url}/__admin{path}", timeout=10, **kwargs)

    def _ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.admin(method, path, json=body)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def scenario(self, document: Mapping[str, Any]) -> None:
        self._ok("PUT", "/scenarios", dict(document))

    @property
    def requests(self) -> list[dict[str, Any]]:
        answer = self._ok("GET", "/requests")
        return list(answer["requests"] if isinstance(answer, dict) else answer)

    @property
    def usage(self) -> dict[str, Any]:
        return dict(self._ok("GET", "/usage"))

    def reset(self) -> None:
        self._ok("POST", "/reset")
