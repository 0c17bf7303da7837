"""The measurements: start-up over separate launches, then every server under load in
interleaved rounds.

A shared machine's background load comes and goes; measuring server A for a minute and then
server B would fold that drift into the ratio. So all servers under test are up at once
(idle ones cost nothing measurable), and each round loads, at each concurrency, every
server back to back, in an order that turns from round to round; a figure is the median
over the rounds, and a ratio the median of the rounds' own ratios (``report.paired``),
each round also kept and shown. Around every run ``cpuwatch`` reads what the server's
processes spent (CPU per request) and what the rest of the machine did (foreign load); a
run disturbed by foreign load is run once more and the quieter one kept.
"""

from __future__ import annotations

import http.client
import json
import signal
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from .answer import is_correct, query_path
from .cpuwatch import BUSY_CORES, CpuWatch
from .load import LoadResult, run_load
from .procs import ServerProcess, group_pids, stop_all
from .targets import Target


@dataclass(frozen=True)
class Plan:
    """How long and how often to measure."""

    launches: int = 5
    warmup_s: float = 5.0
    duration_s: float = 4.0
    rounds: int = 3
    loadgen: str = "auto"
    concurrencies: tuple[int, ...] = (1, 32, 256, 1000)
    #: Run a load again (once) when the machine's other work took more than
    #: ``cpuwatch.BUSY_CORES`` during it, and keep the quieter of the two.
    retry_busy: bool = True


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_guarded(body: Callable[[], int], *cleanups: Callable[[], None]) -> int:
    """Run a bench entry: SIGTERM interrupts it as Ctrl-C does, and whatever happens every
    server it started is stopped by its pid (then ``cleanups`` run) before it returns."""

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return body()
    except KeyboardInterrupt:
        log("interrupted; stopping every server started")
        return 130
    finally:
        stop_all()
        for cleanup in cleanups:
            cleanup()


def fetch(server: ServerProcess, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def check_answer(server: ServerProcess, path: str, validate: bool) -> dict[str, Any]:
    """Fetch the answer once; it must be correct, and for our mock contract-valid."""
    status, payload = fetch(server, path)
    if not is_correct(status, payload):
        raise RuntimeError(f"{server.name} answered wrongly: {status} {payload[:200]!r}")
    body: dict[str, Any] = json.loads(payload)
    if validate:
        from contract import validate as contract_validate

        violations = contract_validate(body, strict=True)
        if violations:
            raise RuntimeError(f"{server.name} broke the contract: {violations}")
    return body


def startup_times(target: Target, plan: Plan, log_dir: Path) -> list[float]:
    """Seconds from spawn to the first correct answer, one per launch."""
    times = []
    for i in range(plan.launches):
        server = target.new(log_dir)
        try:
            server.launch()
            times.append(server.wait_first_answer())
        finally:
            server.stop()
        log(f"{target.name}: launch {i + 1}/{plan.launches} answered in {times[-1] * 1000:.0f} ms")
    return times


def _summary(runs: list[LoadResult]) -> dict[str, Any]:
    """Median of each figure over the rounds, plus every round as measured."""
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")
    out: dict[str, Any] = {k: statistics.median(getattr(r, k) for r in runs) for k in keys}
    for k in ("rps", "p99_ms", "p999_ms"):  # the spread between rounds, beside the median
        out[f"{k}_min"] = min(getattr(r, k) for r in runs)
        out[f"{k}_max"] = max(getattr(r, k) for r in runs)
    for k in ("server_cpu_us", "foreign_cores"):
        known = [v for v in (getattr(r, k) for r in runs) if v is not None]
        out[k] = statistics.median(known) if known else None
        out[f"{k}_max"] = max(known) if known else None
    out["busy_runs"] = sum(
        1 for r in runs if r.foreign_cores is not None and r.foreign_cores > BUSY_CORES
    )
    out["retried_runs"] = sum(1 for r in runs if r.retried)
    out["requests"] = sum(r.requests for r in runs)
    out["errors"] = sum(r.errors for r in runs)
    out["timeouts"] = sum(r.timeouts for r in runs)
    out["tool"] = runs[0].tool
    out["rounds"] = [r.as_dict() for r in runs]
    return out


def rotated(items: list[Any], by: int) -> list[Any]:
    """``items`` turned left by ``by`` places (round r starts with the r-th server)."""
    if not items:
        return []
    by %= len(items)
    return items[by:] + items[:by]


def measured_load(server: ServerProcess, path: str, c: int, plan: Plan) -> LoadResult:
    """One load run with the CPU it cost the server and the machine's foreign load; run
    again once if the machine was busy with other work, keeping the quieter run."""
    pgid = server.proc.pid if server.proc is not None else None
    tries = []
    for _ in range(2 if plan.retry_busy else 1):
        with CpuWatch(pgid) as watch:
            res = run_load(server.base_url, path, c, plan.duration_s, plan.loadgen)
        res.server_cpu_us = watch.use.per_request_us(res.requests)
        res.foreign_cores = watch.use.foreign_cores
        tries.append(res)
        if res.foreign_cores is None or res.foreign_cores <= BUSY_CORES:
            break
        log(f"{server.name} c={c}: {res.foreign_cores:.2f} cores of foreign load; once more")
    best = min(tries, key=lambda t: t.foreign_cores or 0.0)
    best.retried = len(tries) > 1
    return best


def describe(res: LoadResult) -> str:
    cpu = f", server CPU {res.server_cpu_us:.0f} µs/req" if res.server_cpu_us else ""
    foreign = f", foreign {res.foreign_cores:.2f} cores" if res.foreign_cores is not None else ""
    return (
        f"{res.rps:,.0f} req/s, p50 {res.p50_ms:.2f} ms, p99 {res.p99_ms:.2f} ms, p99.9 "
        f"{res.p999_ms:.2f} ms, errors {res.errors}{cpu}{foreign} ({res.tool})"
    )


@dataclass
class Subject:
    """A server under load: its target, its live launch, whether to contract-check it."""

    target: Target
    validate: bool = False
    extra: Callable[[ServerProcess], dict[str, Any]] | None = None
    server: ServerProcess | None = None


def measure_all(
    subjects: list[Subject], plan: Plan, log_dir: Path, key: str
) -> dict[str, dict[str, Any]]:
    """Start-up medians, then all servers up at once, warmed and loaded in rounds."""
    results: dict[str, dict[str, Any]] = {}
    for s in list(subjects):
        try:
            starts = startup_times(s.target, plan, log_dir)
        except (RuntimeError, TimeoutError) as exc:  # a peer that will not serve here
            log(f"{s.target.name} skipped: {exc}")
            subjects.remove(s)
            results[s.target.name] = {"name": s.target.name, "note": f"skipped: {exc}"}
            continue
        results[s.target.name] = {
            "name": s.target.name,
            "note": s.target.note,
            "startup_s": {"median": statistics.median(starts), "all": starts},
        }
    path = query_path(key)
    try:
        for s in subjects:
            s.server = s.target.new(log_dir)
            s.server.launch()
            s.server.wait_first_answer()
            s.server.start_sampling()
            results[s.target.name]["answer"] = check_answer(s.server, path, s.validate)
        for s in subjects:
            assert s.server is not None
            log(f"{s.target.name}: warm-up {plan.warmup_s:g} s at c=32")
            run_load(s.server.base_url, path, 32, plan.warmup_s, plan.loadgen)
        runs: dict[tuple[str, int], list[LoadResult]] = {}
        for r in range(plan.rounds):
            for c in plan.concurrencies:
                # Every server at this concurrency back to back, so that a ratio compares
                # runs minutes apart at most; the order turns each round, so that no
                # server always follows the same one (a JVM's collector, a warm cache).
                for s in rotated(subjects, r):
                    assert s.server is not None
                    res = measured_load(s.server, path, c, plan)
                    runs.setdefault((s.target.name, c), []).append(res)
                    log(f"round {r + 1}/{plan.rounds} {s.target.name} c={c}: {describe(res)}")
        for s in subjects:
            assert s.server is not None and s.server.sampler is not None
            name = s.target.name
            results[name]["load"] = {str(c): _summary(runs[(name, c)]) for c in plan.concurrencies}
            check_answer(s.server, path, s.validate)  # still right after the load
            sampler = s.server.sampler
            sampler.sample()
            results[name]["peak_memory_kib"] = sampler.peak_kib
            results[name]["memory_detail"] = {
                "peak_rss_sum_kib": sampler.peak_rss_kib,
                "peak_vmhwm_sum_kib": sampler.peak_hwm_kib,
                "processes": len(group_pids(s.server.proc.pid)) if s.server.proc else 0,
            }
            log(f"{name}: peak memory {sampler.peak_kib / 1024:.1f} MiB")
        for s in subjects:
            if s.extra is not None and s.server is not None:
                results[s.target.name].update(s.extra(s.server))
    finally:
        for s in subjects:
            if s.server is not None:
                s.server.stop()
    return results
