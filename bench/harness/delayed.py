"""The delayed-answers figure: N concurrent requests to a rule ``latency: d`` all arrive
within d plus a margin when the server schedules the delay rather than holding a thread
for it. Measured on a juhe-mock of its own (a scenario with the one latency rule)."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from .answer import MOBILE_HASH, is_correct
from .targets import Target, juhe_mock

DELAY_S = 1.0


def _target(work: Path, extra: list[str]) -> Target:
    scenario = work / "delayed.json"
    scenario.write_text(json.dumps({"rules": [{"then": {"latency": DELAY_S}}]}), "utf-8")
    return juhe_mock("delayed-key", ["--scenarios", str(scenario), *extra], "juhe-mock-delayed")


def measure(work: Path, log_dir: Path, counts: tuple[int, ...] = (64, 256),
            extra: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """For each N: when each of N concurrent delayed answers arrived (seconds)."""
    server = _target(work, list(extra or [])).new(log_dir)
    out: dict[str, Any] = {"delay_s": DELAY_S}
    try:
        server.launch()
        _wait_up(server.port)
        for n in counts:
            out[str(n)] = _burst(server.port, n)
    finally:
        server.stop()
    return out


def _wait_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError("the delayed juhe-mock did not start")


def _burst(port: int, n: int) -> dict[str, Any]:
    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    gate = threading.Barrier(n + 1)
    path = f"/mobile_online_sha256_cucc/query?key=k&mobile={MOBILE_HASH}"

    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.connect()
            gate.wait(timeout=30)
            began = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            ok = is_correct(response.status, response.read())
            took = time.perf_counter() - began
        except OSError:
            ok, took = False, 0.0
        finally:
            conn.close()
        with lock:
            if ok:
                times.append(took)
            else:
                errors[0] += 1

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    gate.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=60)
    return {
        "n": n,
        "errors": errors[0],
        "first_s": min(times) if times else None,
        "median_s": statistics.median(times) if times else None,
        "last_s": max(times) if times else None,
    }
