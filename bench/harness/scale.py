"""``bench/scale``: juhe-mock in one process, in N workers with memory state, and in N workers
with Redis state, against WireMock in the same run (issue 7).

It reuses the harness: the same launcher, first-answer timing, memory sampler, interleaved
load rounds (wrk, else the Python generator) and WireMock install. Only c=32 is loaded.
Every server, redis-server included, is started in its own process group and stopped by
its process id in a ``finally``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import facts, load, report, wiremock
from .answer import DEFAULT_KEY
from .procs import ServerProcess, free_port, stop_process
from .runner import Plan, Subject, log, measure_all, run_guarded
from .targets import BENCH, REPO, Target, juhe_mock, wiremock_target


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/scale", description=__doc__)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="N (all cores)")
    p.add_argument("--launches", type=int, default=3, help="launches for the start-up median")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds at c=32")
    p.add_argument("--duration", type=float, default=4.0, help="seconds per load run")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of load runs")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-wiremock", action="store_true", help="skip WireMock")
    p.add_argument("--key", default=DEFAULT_KEY, help="API key sent to every server")
    p.add_argument("--out", type=Path, default=BENCH / "results")
    p.add_argument("--stem", default=None, help="results file name (default: scale-<date>)")
    return p


def _named(target: Target, name: str, note: str) -> Target:
    """The harness's juhe-mock target under another name (its rows and log files)."""

    def make(port: int, log_dir: Path) -> ServerProcess:
        server = target.make(port, log_dir)
        server.name = name
        return server

    return Target(name, make, note)


def _start_redis(log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "redis.log").open("ab") as out:
        proc = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    stop_process(proc)
    raise RuntimeError("redis-server did not start")


def _redis_version() -> str:
    executable = shutil.which("redis-server")
    if executable is None:
        return "absent"
    out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.split(" sha=")[0].strip()


def _row(name: str, result: dict[str, Any], wm: dict[str, Any] | None) -> dict[str, Any]:
    c32 = result["load"]["32"]
    row: dict[str, Any] = {
        "server": name,
        "note": result["note"],
        "rps": c32["rps"],
        "p50_ms": c32["p50_ms"],
        "p99_ms": c32["p99_ms"],
        "errors": c32["errors"],
        "startup_s": result["startup_s"]["median"],
        "peak_memory_mib": result["peak_memory_kib"] / 1024,
        "processes": result["memory_detail"]["processes"],
    }
    if wm is not None:
        w32 = wm["load"]["32"]
        row["rps_vs_wiremock"] = c32["rps"] / w32["rps"] if w32["rps"] else None
        row["p99_vs_wiremock"] = c32["p99_ms"] / w32["p99_ms"] if w32["p99_ms"] else None
    return row


def _load(avg: Any) -> str:
    return "/".join(f"{x:.2f}" for x in avg) if avg else "?"


def _markdown(run_facts: dict[str, Any], plan: Plan, notes: list[str], rows: list[Any]) -> str:
    lines = [
        f"# juhe-mock scale-out benchmark, {run_facts.get('date', date.today().isoformat())}",
        "",
        f"Machine: {run_facts.get('cpu', '?')}, {run_facts.get('cpus', '?')} cores; "
        f"load generator {run_facts.get('wrk', '?')}; {run_facts.get('redis', '?')}; "
        f"WireMock {run_facts.get('wiremock', 'absent')}; load average at the end "
        f"{_load(run_facts.get('load_average_at_end'))}.",
        f"Commit `{run_facts.get('git_commit', '?')}`; Python {run_facts.get('python', '?')}, "
        + ", ".join(f"{n} {v}" for n, v in run_facts.get("packages", {}).items())
        + ".",
        f"Plan: c=32 only, {plan.rounds} interleaved rounds of {plan.duration_s:g} s after "
        f"{plan.warmup_s:g} s of warm-up; start-up median of {plan.launches} launches. "
        "The request is the magic number 13000000003 (tenure 3), a stateless answer; with "
        "Redis state every request still goes through it (orderid counter, journal stream, "
        "ledger).",
        "",
        "| server | req/s c=32 | × WireMock | p99 ms c=32 | × WireMock | p50 ms | "
        "start s | peak MiB | procs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio_rps = f"{r['rps_vs_wiremock']:.2f}" if r.get("rps_vs_wiremock") else "-"
        ratio_p99 = f"{r['p99_vs_wiremock']:.3f}" if r.get("p99_vs_wiremock") else "-"
        lines.append(
            f"| {r['server']} | {r['rps']:,.0f} | {ratio_rps} | {r['p99_ms']:.2f} | "
            f"{ratio_p99} | {r['p50_ms']:.2f} | {r['startup_s']:.2f} | "
            f"{r['peak_memory_mib']:.0f} | {r['processes']} |"
        )
    lines.append("")
    lines += [f"- {r['server']}: {r['note']}" for r in rows]
    lines += [f"- note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_guarded(lambda: _bench(args), _stop_redis)


def _stop_redis() -> None:
    while _REDIS:
        stop_process(_REDIS.pop())


#: redis-server processes this run started (stopped in ``main``'s ``finally``).
_REDIS: list[subprocess.Popen[bytes]] = []


def _bench(args: argparse.Namespace) -> int:
    n = args.workers
    plan = Plan(args.launches, args.warmup, args.duration, args.rounds, args.loadgen, (32,))
    run_facts = facts.machine_facts(REPO)
    run_facts["wrk"] = load.wrk_version()
    run_facts["java"] = wiremock.java_version()
    run_facts["redis"] = _redis_version()
    notes: list[str] = []
    if args.loadgen == "python" or (args.loadgen == "auto" and load.wrk_path() is None):
        notes.append("Load from the Python generator (no wrk): compare the ratios only.")
    with tempfile.TemporaryDirectory(prefix="juhe-scale-") as tmp:
        work = Path(tmp)
        logs = work / "logs"
        redis_proc, url = _start_redis(logs)
        _REDIS.append(redis_proc)
        ns = f"bench-{os.getpid()}"
        subjects = [
            Subject(_named(juhe_mock(args.key), "mock-1proc", "one process, waitress, memory")),
            Subject(
                _named(
                    juhe_mock(args.key, ["--workers", str(n)]),
                    f"mock-{n}w-memory",
                    f"{n} granian workers, memory state (stateless scenario)",
                )
            ),
            Subject(
                _named(
                    juhe_mock(args.key, ["--workers", str(n), "--state", url, "--namespace", ns]),
                    f"mock-{n}w-redis",
                    f"{n} granian workers, Redis state (redis-server on the same cores)",
                )
            ),
            Subject(
                _named(
                    juhe_mock(args.key, ["--state", url, "--namespace", ns + "-1"]),
                    "mock-1proc-redis",
                    "one process, waitress, Redis state",
                )
            ),
        ]
        wm_name = None
        if not args.no_wiremock:
            try:
                wm_target, run_facts["wiremock"] = wiremock_target(args.key, BENCH / ".cache", work)
                subjects.append(Subject(wm_target))
                wm_name = wm_target.name
            except wiremock.Unavailable as exc:
                notes.append(str(exc))
                log(str(exc))
        else:
            notes.append("WireMock skipped: --no-wiremock")
        results = measure_all(subjects, plan, logs, args.key)
    run_facts["load_average_at_end"] = facts.load_average()
    wm = results.get(wm_name) if wm_name else None
    rows = [_row(name, result, wm) for name, result in results.items()]
    markdown = _markdown(run_facts, plan, notes, rows)
    print()
    print(markdown)
    data = {"facts": run_facts, "plan": plan.__dict__, "notes": notes, "rows": rows,
            "servers": results}  # fmt: skip
    stem = args.stem or f"scale-{date.today().isoformat()}"
    paths = report.write_results(args.out, stem, data, markdown)
    log("wrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
