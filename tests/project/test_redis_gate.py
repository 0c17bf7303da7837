"""Without ``redis-server`` the shared-state tests skip on a developer's machine, saying how
to get it, and fail under ``CI=true``: CI must prove the shared state, never skip it.
Checked by running one such test in a pytest subprocess whose ``PATH`` holds no redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ..helpers.processes import run_pytest

pytestmark = pytest.mark.subprocess

NEEDS_REDIS = "tests/mock_server/state/test_redis_store.py::test_namespaces_do_not_collide"


def run_without_redis(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(tmp_path)}  # an empty folder: no redis-server to find
    if ci is not None:
        env["CI"] = ci
    return run_pytest("-rs", NEEDS_REDIS, env=env, without=("CI",), timeout=120)


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
