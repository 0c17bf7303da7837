"""Load at a fixed concurrency over keep-alive connections: wrk when present, else Python.

Both return a ``LoadResult``. wrk reports through a Lua ``done`` hook that prints one JSON
line, so nothing is scraped from its human-readable table. The Python generator is the
fallback for machines without wrk: threads over ``http.client`` keep-alive connections,
bounded by both a request budget and a time limit. It is GIL-bound and far slower than
wrk, so its figures are only meaningful as ratios between servers measured with it.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .answer import is_correct

_WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


@dataclass
class LoadResult:
    """One load run's outcome; latencies in milliseconds."""

    tool: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    p999_ms: float = 0.0
    timeouts: int = 0
    #: The server's CPU (every process and thread) per request served, µs (Linux only).
    server_cpu_us: float | None = None
    #: CPU the machine spent on neither the server nor the load, in cores (``cpuwatch``).
    foreign_cores: float | None = None
    #: Run again because the first try had foreign load; this is the quieter of the two.
    retried: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str:
    wrk = wrk_path()
    if wrk is None:
        return "absent"
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    words = (out.stdout + out.stderr).split()
    return " ".join(words[:2]) if words else "unknown"


def run_wrk(
    url: str,
    concurrency: int,
    seconds: float,
    threads: int = 2,
    *,
    lua: str = "",
    script_args: Sequence[str] = (),
) -> LoadResult:
    """``wrk`` with ``concurrency`` keep-alive connections for ``seconds``; ``lua`` is put
    before the summary script (e.g. a ``request`` function), ``script_args`` after ``--``."""
    # wrk's default of 10,000 open files per process is enough for c=1000.
    wrk = wrk_path()
    assert wrk is not None
    threads = max(1, min(threads, concurrency))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + _WRK_LUA)
    try:
        argv = [
            wrk,
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            script.name,
            url,
            *(["--", *script_args] if script_args else []),
        ]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    secs = data["duration_us"] / 1e6
    errors = sum(
        data[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return LoadResult(
        tool="wrk",
        concurrency=concurrency,
        requests=data["requests"],
        errors=errors,
        seconds=secs,
        rps=data["requests"] / secs if secs else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        p999_ms=data["p999_us"] / 1000,
        timeouts=data["timeouts"],
    )


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def run_python(
    host: str,
    port: int,
    path: str,
    concurrency: int,
    seconds: float,
    max_requests: int = 200_000,
) -> LoadResult:
    """``concurrency`` threads, one keep-alive connection each, until time or budget ends."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    budget = threading.Semaphore(max_requests)
    start_gate = threading.Barrier(concurrency + 1)
    deadline_box = [0.0]

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=5)
        mine = latencies[slot]
        start_gate.wait()
        deadline = deadline_box[0]
        while time.perf_counter() < deadline and budget.acquire(blocking=False):
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                payload = resp.read()
                ok = is_correct(resp.status, payload)
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=5)
            mine.append(time.perf_counter() - t0)
            if not ok:
                errors[slot] += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for w in workers:
        w.start()
    began = time.perf_counter()
    deadline_box[0] = began + seconds
    start_gate.wait()
    for w in workers:
        w.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - began
    every = sorted(x for per in latencies for x in per)
    count = len(every)
    return LoadResult(
        tool="python",
        concurrency=concurrency,
        requests=count,
        errors=sum(errors),
        seconds=elapsed,
        rps=count / elapsed if elapsed else 0.0,
        p50_ms=_percentile(every, 50) * 1000,
        p90_ms=_percentile(every, 90) * 1000,
        p99_ms=_percentile(every, 99) * 1000,
        max_ms=(every[-1] * 1000) if every else 0.0,
        mean_ms=(sum(every) / count * 1000) if count else 0.0,
        p999_ms=_percentile(every, 99.9) * 1000,
    )


def run_load(
    base_url: str, path: str, concurrency: int, seconds: float, tool: str = "auto"
) -> LoadResult:
    """One load run with wrk if present (or asked for), else the Python generator."""
    use_wrk = tool == "wrk" or (tool == "auto" and wrk_path() is not None)
    if use_wrk:
        return run_wrk(base_url + path, concurrency, seconds)
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    return run_python(host, int(port), path, concurrency, seconds)
