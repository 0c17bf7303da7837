"""bench/harness/cpuwatch.py: a server's CPU seconds are counted (every process of its
group), and the rounds of a run turn. (No timing is asserted: the child burns a fixed
amount of its own CPU, whatever the machine's speed.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

_BURN = """
import sys, time
while time.process_time() < 0.3:
    pass
print("done", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    import harness

    return harness


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.subprocess
def test_the_cpu_of_a_process_group_is_counted(harness: ModuleType) -> None:
    from harness.cpuwatch import CpuWatch

    child = subprocess.Popen(
        [sys.executable, "-c", _BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        with CpuWatch(child.pid) as watch:
            assert child.stdout is not None
            assert child.stdout.readline() == "done\n"  # 0.3 s of its own CPU spent
        assert watch.use.server_s is not None and watch.use.server_s >= 0.25
        assert watch.use.foreign_cores is not None and watch.use.foreign_cores >= 0
        assert watch.use.per_request_us(1000) == pytest.approx(watch.use.server_s * 1000)
        assert watch.use.per_request_us(0) is None
    finally:
        child.communicate("", timeout=10)


def test_each_round_starts_with_the_next_server(harness: ModuleType) -> None:
    from harness.runner import rotated

    servers = ["mock", "stub", "wiremock"]
    assert [rotated(servers, r)[0] for r in range(4)] == ["mock", "stub", "wiremock", "mock"]
    assert sorted(rotated(servers, 2)) == sorted(servers)
    assert rotated([], 3) == []
