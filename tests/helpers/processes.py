"""Processes the tests start: stopping one, a free port, pytest in a subprocess, and a tool
that is missing (the test skips on a developer's machine and fails under ``CI=true``,
because CI must prove what the test proves, never skip it)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from .paths import ROOT

_S = TypeVar("_S", bound="Stopping")


class Stopping:
    """Something a test starts and must stop: a context manager whose end calls ``stop``."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def in_ci() -> bool:
    """Whether ``CI`` is set to a true value (as GitHub and ``.ci/run`` set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(message: str, in_ci_message: str | None = None) -> NoReturn:
    """Skip the test saying ``message``; under ``CI=true`` fail it (``in_ci_message``)."""
    if in_ci():
        pytest.fail(in_ci_message or message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A loopback port nobody listens on (it can be taken before the caller binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0, *, group: bool = False) -> None:
    """SIGTERM (to its process group with ``group``), then SIGKILL after ``timeout``; the
    process is always reaped."""

    def send(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)

    if proc.poll() is None:
        send(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            send(signal.SIGKILL)
    proc.wait(timeout=10)


def run_pytest(
    *args: str,
    cwd: Path = ROOT,
    timeout: float = 240,
    env: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess of this interpreter (the plugin loads by its entry point),
    without the caller's ``JUHE_*`` and ``PYTEST_*`` variables nor those ``without``
    names; ``env`` adds some back."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUHE_", "PYTEST_")) and k not in without
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def npm_package(
    spec: str, prefix: Path, installed: Path, *, tool: str, timeout: float, needs: str
) -> None:
    """``npm install spec`` into ``prefix``, unless ``installed`` is there already. Without
    node and npm (``needs`` says why they are needed), or when the install fails, the test
    cannot run: :func:`unavailable`."""

    def missing(why: str) -> NoReturn:
        unavailable(f"{tool} not run: {why}", f"{tool} cannot run in CI: {why}")

    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        missing(f"node and npm are needed ({needs})")
    if installed.exists():
        return
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), spec],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not installed.exists():
        missing(f"npm install {spec} failed: {done.stderr.strip()[-300:]}")
