"""A real ``redis-server`` for the shared-state tests, and ``juhe-mock`` workers around it.

``redis-server`` (Debian's package) is started on a free loopback port, with no
persistence, once per session and stopped at the end by its process id. Without it on
``PATH`` the tests that need it skip, saying how to get it; with ``CI`` set to a true
value they fail instead, because CI must prove the shared state, not skip it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH
from contract.validate import validate

from ..reliability.leaks import SESSION

HOW_TO_GET = "install it with `apt-get install redis-server` (Debian/Ubuntu) to run them"
SERVING = "juhe-mock serving on "


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; the process is always reaped."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait(timeout=10)


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


def start_redis(executable: str, log: Path, port: int | None = None) -> RedisServer:
    """A fresh, empty redis-server on ``port`` (a free one by default)."""
    wanted = port
    for _ in range(5):  # a free port can be taken between the probe and the bind
        port = wanted or free_port()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--protected-mode", "yes"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return RedisServer(port, proc)
            except OSError:
                time.sleep(0.02)
        stop_process(proc)
    raise RuntimeError(f"redis-server did not start; see {log}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        message = f"redis-server is not on PATH: the shared-state tests need it; {HOW_TO_GET}"
        if _ci():
            pytest.fail(f"CI=true: {message} (.ci/run installs it)", pytrace=False)
        pytest.skip(message)
    server = start_redis(executable, tmp_path_factory.mktemp("redis") / "redis.log")
    try:
        yield server
    finally:
        stop_process(server.proc)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url()


def namespace() -> str:
    """A fresh namespace: tests share one redis-server but never each other's keys."""
    return "t-" + uuid.uuid4().hex[:12]


# --- juhe-mock as a subprocess ----------------------------------------------------------


def check_body(body: Any) -> None:
    violations = validate(body, strict=True)
    assert violations == [], violations


@dataclass
class Mock:
    proc: subprocess.Popen[str]
    url: str
    log: Path

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the master)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + "/__admin" + path, timeout=10, **kwargs)

    def usage(self) -> dict[str, Any]:
        response = self.admin("GET", "/usage")
        assert response.status_code == 200, response.text
        usage: dict[str, Any] = response.json()
        return usage


def mock_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mock_server", "--port", "0", *args]


@contextmanager
def running_mock(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Mock]:
    """``juhe-mock ARGS`` on a free port until the block ends (then SIGTERM, SIGKILL)."""
    log = tmp_path / f"mock-{uuid.uuid4().hex[:6]}.log"
    with log.open("w", encoding="utf-8") as err:
        proc = subprocess.Popen(
            mock_command(*args), stdout=subprocess.PIPE, stderr=err, text=True,
            encoding="utf-8", env={**os.environ, **(env or {})}, start_new_session=True,
        )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().rstrip("\n")
        assert first.startswith(SERVING + "http://127.0.0.1:"), first + log.read_text(
            encoding="utf-8"
        )
        yield Mock(proc, first.removeprefix(SERVING), log)
    finally:
        stop_process(proc)
        with contextlib.suppress(ProcessLookupError):  # workers whose master was killed
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stdout is not None:
            proc.stdout.close()
        SESSION.saw_file(f"juhe-mock log {log.name}", log)  # no key, no number in it


def api_url(mock: Mock) -> str:
    return mock.url + PATH
