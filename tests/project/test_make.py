"""``make serve`` installs the runtime only (its own stamp) and hands ``ARGS`` to juhe-mock;
``make test`` stays the README's test command, with the whole toolchain."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256

from ..helpers.paths import ROOT

MAKE = shutil.which("make")
pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(MAKE is None, reason="make is not installed"),
]


def _dry_run(target: str, venv: Path, *extra: str) -> list[str]:
    # Run from inside another make (CI's `make test` is one), make inherits MAKELEVEL and
    # MAKEFLAGS and prints "Entering/Leaving directory" lines; a clean environment and
    # --no-print-directory keep the dry run's output to the recipes alone.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}
    done = subprocess.run(
        [str(MAKE), "--no-print-directory", "-n", target, f"VENV={venv}", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True, env=env,
    )  # fmt: skip
    return done.stdout.splitlines()


def test_serve_installs_the_runtime_only_and_passes_args(tmp_path: Path) -> None:
    lines = _dry_run("serve", tmp_path / "venv", "ARGS=--port 0 --seed 3")
    installs = [line for line in lines if "pip install" in line]
    assert installs == [f"{tmp_path / 'venv'}/bin/python -m pip install --quiet -e ."]
    assert lines[-1] == f"{tmp_path / 'venv'}/bin/juhe-mock --port 0 --seed 3"
    assert f"touch {tmp_path / 'venv'}/.runtime" in lines


def test_test_still_installs_everything(tmp_path: Path) -> None:
    lines = _dry_run("test", tmp_path / "venv")
    assert any("pip install --quiet -e '.[test,dev,redis]'" in line for line in lines)
    assert lines[-1].endswith("/bin/python -m pytest")


def test_serve_runs_juhe_mock_with_the_arguments(tmp_path: Path) -> None:
    # A venv whose runtime stamp is current: make goes straight to juhe-mock, which is
    # this interpreter's (a link), given the ARGS.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "juhe-mock").symlink_to(Path(sys.executable).parent / "juhe-mock")
    (venv / ".runtime").touch()
    make = subprocess.Popen(
        [str(MAKE), "--no-print-directory", "serve", f"VENV={venv}",
         "ARGS=--port 0 --scenarios maintenance"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert make.stdout is not None
        lines = [make.stdout.readline(), make.stdout.readline()]
        assert lines[0].startswith(f"{venv}/bin/juhe-mock --port 0"), lines
        url = lines[1].strip().removeprefix("juhe-mock serving on ")
        params = {"key": "make-serve", "mobile": mobile_sha256(magic_number("3"))}
        answer = requests.get(url + PATH, params=params, timeout=10).json()
        assert answer["error_code"] == 10020  # the shipped scenario ARGS named
    finally:
        os.killpg(make.pid, signal.SIGTERM)  # make and the juhe-mock it started
        make.wait(timeout=15)
        if make.stdout is not None:
            make.stdout.close()
