"""``bench/run --tail``: where the mock's tail latency comes from, on its own server.

Five variants, each a process of its own (``harness.served``) on exactly the server
``juhe-mock`` runs: the bare stub; the mock with the text log (the default), the JSON log,
no request log; and the text log with the collector frozen after start-up. All are up at
once and loaded in rounds at one concurrency (default 32), back to back in an order that
turns each round, so that each round compares them minutes apart at most.

Per run: wrk's req/s and p50/p99/p99.9/max; the server's CPU per request and the
machine's foreign load (``cpuwatch``); and from inside the process (``served --probe``)
the app's own time per request, how late a 1 ms timer on the loop fired, and the
collector's pauses. What the client sees beyond what the app and the loop account for
was spent outside the process's Python: in the kernel, in granian's threads, waiting for
a core.

Results: ``results/tail-<stem>.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .answer import query_path
from .cpuwatch import CpuWatch
from .load import run_load
from .procs import ServerProcess, free_port
from .runner import describe, log, rotated
from .targets import _env

VARIANTS: dict[str, list[str]] = {
    "bare-stub": ["--app", "stub", "--log", "off"],
    "mock, text log": ["--log", "text"],
    "mock, JSON log": ["--log", "json"],
    "mock, no request log": ["--log", "off"],
    "mock, text log, gc frozen": ["--log", "text", "--gc", "freeze"],
}


def _launch(name: str, flags: list[str], work: Path, key: str) -> tuple[ServerProcess, Path]:
    probe = work / f"probe-{len(list(work.glob('probe-*')))}.json"
    port = free_port()
    argv = [sys.executable, "-m", "harness.served", "--port", str(port), "--probe", str(probe)]
    safe = "".join(ch if ch.isalnum() else "-" for ch in name)
    server = ServerProcess(safe, [*argv, *flags], port, work / "logs", env=_env(), key=key)
    server.launch()
    server.wait_first_answer()
    return server, probe


def _begin(server: ServerProcess) -> None:
    """Tell the server a measured run begins (SIGUSR2: samples cleared, lag timer on)."""
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGUSR2)
    time.sleep(0.05)


def _probe(server: ServerProcess, path: Path) -> dict[str, Any]:
    """End the measured run (SIGUSR1) and read the server's figures of it."""
    assert server.proc is not None
    before = path.stat().st_mtime_ns if path.exists() else 0
    os.kill(server.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_mtime_ns != before:
            data: dict[str, Any] = json.loads(path.read_text("utf-8"))
            return data
        time.sleep(0.02)
    return {}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    c = (args.concurrency or [32])[0]
    path = query_path(args.key)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="juhe-tail-") as tmp:
        work = Path(tmp)
        servers = {}
        try:
            for name, flags in VARIANTS.items():
                servers[name] = _launch(name, flags, work, args.key)
            for name, (server, _) in servers.items():
                log(f"{name}: warm-up {args.warmup:g} s at c={c}")
                run_load(server.base_url, path, c, args.warmup, args.loadgen)
            for r in range(args.rounds):
                for name in rotated(list(VARIANTS), r):
                    server, probe = servers[name]
                    assert server.proc is not None
                    _begin(server)
                    with CpuWatch(server.proc.pid) as watch:
                        res = run_load(server.base_url, path, c, args.duration, args.loadgen)
                    res.server_cpu_us = watch.use.per_request_us(res.requests)
                    res.foreign_cores = watch.use.foreign_cores
                    log(f"round {r + 1}/{args.rounds} {name}: {describe(res)}")
                    runs[name].append({**res.as_dict(), "inside": _probe(server, probe)})
        finally:
            for server, _ in servers.values():
                server.stop()
    return {"concurrency": c, "duration_s": args.duration, "rounds": args.rounds, "runs": runs}


def _spread(values: list[float], places: int = 2) -> str:
    if not values:
        return "–"
    mid = statistics.median(values)
    return f"{mid:,.{places}f} ({min(values):,.{places}f}–{max(values):,.{places}f})"


def _inside(runs: list[dict[str, Any]], part: str, key: str) -> list[float]:
    return [r["inside"][part][key] for r in runs if r.get("inside", {}).get(part, {}).get(key)]


def markdown(data: dict[str, Any], facts: dict[str, Any]) -> str:
    c = data["concurrency"]
    lines = [
        f"# Where the tail comes from, {facts['date']}",
        "",
        f"Commit `{facts['git_commit']}`; {facts['cpu']}, {facts['cpus']} CPUs; load average "
        f"{facts['load_average_at_start'][0]:.2f} at the start. wrk -t2 -c{c}, "
        f"{data['rounds']} rounds of {data['duration_s']:g} s, every variant back to back "
        "in a turning order, each on juhe-mock's own server (`bench/harness/served.py`). "
        "Median over the rounds, lowest–highest in brackets.",
        "",
        "| variant | req/s | p50 ms | p99 ms | p99.9 ms | max ms | server CPU µs/req | "
        "foreign, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in data["runs"].items():
        col = {k: [r[k] for r in runs if r.get(k) is not None] for k in runs[0]} if runs else {}
        lines.append(
            f"| {name} | {_spread(col.get('rps', []), 0)} | {_spread(col.get('p50_ms', []))} | "
            f"{_spread(col.get('p99_ms', []))} | {_spread(col.get('p999_ms', []))} | "
            f"{_spread(col.get('max_ms', []))} | {_spread(col.get('server_cpu_us', []), 0)} | "
            f"{_spread(col.get('foreign_cores', []))} |"
        )
    lines += [
        "",
        "Inside the process (the same runs): the app's own time per request, how late a 1 ms "
        "timer on the loop fired (it runs during the measured run only), and the collector's "
        "collections (median per run) and longest pause over the run.",
        "",
        "| variant | app p50 µs | app p99 µs | app p99.9 µs | app max µs | loop lag p99 µs | "
        "loop lag max µs | collections (gen 0/1/2) | longest pause ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, runs in data["runs"].items():
        gcs = [r.get("inside", {}).get("gc", {}) for r in runs]
        counts = "/".join(
            f"{statistics.median([g.get(str(n), {}).get('n', 0) for g in gcs] or [0]):g}"
            for n in range(3)
        )
        longest = max((g.get(str(n), {}).get("max_ms", 0) for g in gcs for n in range(3)),
                      default=0)  # fmt: skip
        lines.append(
            f"| {name} | {_spread(_inside(runs, 'app_us', 'p50'), 1)} | "
            f"{_spread(_inside(runs, 'app_us', 'p99'), 0)} | "
            f"{_spread(_inside(runs, 'app_us', 'p999'), 0)} | "
            f"{_spread(_inside(runs, 'app_us', 'max'), 0)} | "
            f"{_spread(_inside(runs, 'lag_us', 'p99'), 0)} | "
            f"{_spread(_inside(runs, 'lag_us', 'max'), 0)} | {counts} | {longest:.2f} |"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from . import facts as facts_module
    from .targets import REPO

    if args.short:
        args.warmup, args.duration, args.rounds = 1.0, 2.0, 2
    run_facts = facts_module.machine_facts(REPO)
    data = measure(args)
    text = markdown(data, run_facts)
    stem = args.stem or "tail-" + datetime.now().strftime("%Y-%m-%dT%H%M")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(
        json.dumps({"facts": run_facts, **data}, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    (args.out / f"{stem}.md").write_text(text, "utf-8")
    print(text)
    log(f"wrote {args.out / stem}.md and .json")
    return 0
