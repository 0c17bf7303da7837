"""Without ``redis-server`` the shared-state tests skip on a developer's machine, saying how
to get it, and fail under ``CI=true``: CI must prove the shared state, never skip it.
Checked by running one such test in a pytest subprocess whose ``PATH`` holds no redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDS_REDIS = "tests/scale/test_redis_store.py::test_namespaces_do_not_collide"


def run_without_redis(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PATH"] = str(tmp_path)  # an empty folder: no redis-server to find
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", NEEDS_REDIS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_without_redis_server_a_developer_run_skips_saying_how_to_get_it(
    tmp_path: Path,
) -> None:
    done = run_without_redis(tmp_path, None)
    assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "apt-get install redis-server" in done.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_without_redis_server_a_ci_run_fails(tmp_path: Path, ci: str) -> None:
    done = run_without_redis(tmp_path, ci)
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout + done.stderr
    assert "CI=true: redis-server is not on PATH" in done.stdout
    assert "skipped" not in done.stdout.splitlines()[-1]
