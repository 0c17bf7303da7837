"""A real ``redis-server`` for the shared-state tests.

``redis-server`` (Debian's package) is started on a free loopback port, with no
persistence, once per session and stopped at the end by its process id. Without it on
``PATH`` the tests that need it skip, saying how to get it; with ``CI`` set to a true
value they fail instead, because CI must prove the shared state, not skip it. The
fixtures (``redis_server``, ``redis_url``) reach every test through tests/conftest.py; a
test that uses them is marked ``redis`` (tests/helpers/markers.py).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .processes import free_port, stop_process, unavailable

HOW_TO_GET = "install it with `apt-get install redis-server` (Debian/Ubuntu) to run them"


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


def redis_executable() -> str:
    """``redis-server`` on PATH; without it the test skips (fails under ``CI=true``)."""
    executable = shutil.which("redis-server")
    if executable is None:
        message = f"redis-server is not on PATH: the shared-state tests need it; {HOW_TO_GET}"
        unavailable(message, f"CI=true: {message} (.ci/run installs it)")
    return executable


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(redis_executable(), tmp_path_factory.mktemp("redis") / "redis.log")
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
