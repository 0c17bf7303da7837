"""One server's measurements: start-up over several launches, then load and memory."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answer import is_correct, query_path
from .load import run_load
from .procs import ServerProcess
from .targets import Target


@dataclass(frozen=True)
class Plan:
    """How long and how often to measure."""

    launches: int = 5
    warmup_s: float = 5.0
    duration_s: float = 5.0
    loadgen: str = "auto"
    concurrencies: tuple[int, ...] = (1, 32)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


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
    body = json.loads(payload)
    if validate:
        try:
            from contract import validate as contract_validate  # type: ignore[attr-defined]
        except ImportError:
            return body  # type: ignore[no-any-return]
        violations = contract_validate(body, strict=True)
        if violations:
            raise RuntimeError(f"{server.name} broke the contract: {violations}")
    return body  # type: ignore[no-any-return]


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


def measure(
    target: Target,
    plan: Plan,
    log_dir: Path,
    key: str,
    validate: bool = False,
    extra: Callable[[ServerProcess], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Start-up median, then one launch under warm-up and load with memory sampled."""
    result: dict[str, Any] = {"name": target.name, "note": target.note}
    starts = startup_times(target, plan, log_dir)
    result["startup_s"] = {"median": statistics.median(starts), "all": starts}
    path = query_path(key)
    server = target.new(log_dir)
    try:
        server.launch()
        server.wait_first_answer()
        sampler = server.start_sampling()
        result["answer"] = check_answer(server, path, validate)
        log(f"{target.name}: warm-up {plan.warmup_s:.0f} s at c=32")
        run_load(server.base_url, path, 32, plan.warmup_s, plan.loadgen)
        loads = {}
        for c in plan.concurrencies:
            res = run_load(server.base_url, path, c, plan.duration_s, plan.loadgen)
            loads[str(c)] = res.as_dict()
            log(
                f"{target.name}: c={c}: {res.rps:,.0f} req/s, p50 {res.p50_ms:.2f} ms, "
                f"p99 {res.p99_ms:.2f} ms, errors {res.errors} ({res.tool})"
            )
        result["load"] = loads
        check_answer(server, path, validate)  # still right after the load
        sampler.sample()
        result["peak_memory_kib"] = sampler.peak_kib
        result["memory_detail"] = {
            "peak_rss_sum_kib": sampler.peak_rss_kib,
            "peak_vmhwm_sum_kib": sampler.peak_hwm_kib,
            "processes": len(set(_pids(server))),
        }
        log(f"{target.name}: peak memory {sampler.peak_kib / 1024:.1f} MiB")
        if extra is not None:
            result.update(extra(server))
    finally:
        server.stop()
    return result


def _pids(server: ServerProcess) -> list[int]:
    from .procs import group_pids

    return group_pids(server.proc.pid) if server.proc else []
