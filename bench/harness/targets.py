"""The servers under test and how each is launched: juhe-mock, the bare stub, WireMock."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import wiremock
from .procs import ServerProcess, free_port

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"


@dataclass(frozen=True)
class Target:
    """A server kind: a name for the table and a way to build one launch of it."""

    name: str
    make: Callable[[int, Path], ServerProcess]
    note: str = ""

    def new(self, log_dir: Path) -> ServerProcess:
        return self.make(free_port(), log_dir)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(BENCH), str(REPO), env.get("PYTHONPATH", "")) if p
    )
    return env


def mock_command() -> list[str]:
    """The installed ``juhe-mock`` console script beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "juhe-mock"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("juhe-mock")
    if found:
        return [found]
    return [sys.executable, "-c", "from mock_server.serve.cli import main; main()"]


def juhe_mock(key: str, extra: Sequence[str] = (), name: str = "juhe-mock") -> Target:
    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = [*mock_command(), "--host", "127.0.0.1", "--port", str(port), *extra]
        return ServerProcess(name, argv, port, log_dir, env=_env(), key=key)

    note = "default configuration (journal and ledger on)"
    if extra:
        note += "; extra flags: " + " ".join(extra)
    return Target(name, make, note)


def bare_stub(key: str, threads: int, server: str = "waitress") -> Target:
    """The bare Flask stub on the server juhe-mock runs on, to price the mock's own work.

    ``server="granian"``: one granian worker with ``threads`` blocking threads, as the
    default ``juhe-mock``; falls back to waitress when granian is not installed.
    """
    granian = granian_command() if server == "granian" else None

    def make(port: int, log_dir: Path) -> ServerProcess:
        if granian is not None:
            argv = [granian, "--interface", "wsgi", "--factory", "--workers", "1"]
            argv += ["--blocking-threads", str(threads), "--host", "127.0.0.1"]
            argv += ["--port", str(port), "--no-ws", "--log-level", "error"]
            argv += ["harness.stub:create_stub"]
        else:
            argv = [sys.executable, "-m", "harness.stub", "--port", str(port)]
            argv += ["--threads", str(threads)]
        return ServerProcess("bare-stub", argv, port, log_dir, env=_env(), key=key)

    where = f"granian 1 worker, {threads} threads" if granian else f"waitress {threads} threads"
    return Target("bare-stub", make, f"Flask route returning constant bytes, {where}")


def bare_stub_asgi(key: str) -> Target:
    """The bare stub (constant bytes) on juhe-mock's own server: ``serve.loop.Serving``,
    granian embedded in one process with the same settings, the same asyncio loop."""

    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = [sys.executable, "-m", "harness.stub", "--asgi", "--port", str(port)]
        return ServerProcess("bare-stub", argv, port, log_dir, env=_env(), key=key)

    return Target("bare-stub", make, "constant bytes from a raw ASGI app on juhe-mock's own server")


def granian_command() -> str | None:
    beside = Path(sys.executable).parent / "granian"
    return str(beside) if beside.exists() else shutil.which("granian")


def bare_stub_granian(key: str, workers: int) -> Target | None:
    """The same stub on granian with several worker processes: what a faster server buys.

    ``None`` when granian is not installed (it is in the ``dev`` extra).
    """
    granian = granian_command()
    if granian is None:
        return None

    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = [granian, "--interface", "wsgi", "--factory", "--workers", str(workers)]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--no-ws", "--log-level", "error"]
        argv += ["harness.stub:create_stub"]
        return ServerProcess("bare-stub-granian", argv, port, log_dir, env=_env(), key=key)

    return Target("bare-stub-granian", make, f"the bare stub on granian, {workers} workers")


def wiremock_target(key: str, cache: Path, work: Path) -> tuple[Target, str]:
    """WireMock and its version; raises ``wiremock.Unavailable`` when it cannot run."""
    jar = wiremock.jar_path(cache)
    root = wiremock.write_root(work / "wiremock-root")

    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = wiremock.argv(jar, root, port)
        return ServerProcess("wiremock", argv, port, log_dir, env=dict(os.environ), key=key)

    version = wiremock.version_of(jar)
    return Target("wiremock", make, f"WireMock {version}, default configuration"), version
