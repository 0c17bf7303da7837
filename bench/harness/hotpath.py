"""``bench/run --profile``: the CPU cost of one request on the ASGI door, without a network.

Calls the ASGI apps directly, as granian does (a fresh scope per request, a ``receive``
that has nothing, a ``send`` that keeps the messages), in a loop on one asyncio loop, so
no server, socket or load generator is in the figures. Four cases, each in a process of
its own (the request log, once configured, cannot be taken down again):

- ``stub``: the bare ASGI stub (constant bytes; :func:`.stub.asgi_stub`);
- ``off``: the mock, default configuration, no request log handler (as ``MockServer``);
- ``text`` / ``json``: the mock with ``juhe-mock``'s request log (``configure_logging``)
  writing to a file, timed until the last line is written.

For each: wall µs per request on the loop and the process's CPU µs per request (every
thread: the log writer's work counts), over interleaved rounds: the best round (noise
from the machine's other work only ever adds), the median and the worst.
Then cProfile of the ``off`` and ``text`` cases (the loop's thread only): own time by
package and the top functions, in ``results/profile-<date>.txt``.

Also runnable alone: ``python -m harness.hotpath [--requests N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from .answer import DEFAULT_KEY, is_correct, query_path

CASES = ("stub", "off", "text", "json")
REQUESTS = 20_000
ROUNDS = 5
_PACKAGES = ("mock_server", "contract", "logging", "asyncio", "json")
#: What wrk sends with each request (its default head), so the mock parses as much.
_HEADERS = [(b"host", b"127.0.0.1:8080")]

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(path: str) -> dict[str, Any]:
    route, _, query = path.partition("?")
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": route, "raw_path": route.encode(),
        "query_string": query.encode(), "root_path": "", "headers": list(_HEADERS),
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
    }  # fmt: skip


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _make_app(case: str, log_to: Path) -> tuple[App, Callable[[], None]]:
    """The app of ``case`` and what flushes its log (a no-op without one)."""
    if case == "stub":
        from .stub import asgi_stub

        return asgi_stub, lambda: None  # type: ignore[return-value]
    from mock_server.config import MockConfig
    from mock_server.web.door_async import MockAsgi
    from mock_server.web.setup import build_runtime

    flush: Callable[[], None] = lambda: None  # noqa: E731
    if case in ("text", "json"):
        from mock_server.serve.logs import configure_logging

        stream = open(log_to, "w", encoding="utf-8")  # noqa: SIM115 (the log's own stream)
        sys.stderr, own = stream, sys.stderr
        try:
            flush = configure_logging(case)  # writes to the sys.stderr of this moment
        finally:
            sys.stderr = own
    return MockAsgi(build_runtime(MockConfig())), flush  # type: ignore[return-value]


async def _loop(app: App, path: str, n: int, check: bool) -> None:
    template = _scope(path)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for _ in range(n):
        scope = dict(template)
        scope["headers"] = list(template["headers"])
        await app(scope, _receive, send)
        if check:
            status, body = sent[0]["status"], sent[1]["body"]
            if not is_correct(status, body):
                raise RuntimeError(f"wrong answer in-process: {status} {body[:200]!r}")
        sent.clear()


def child(case: str, n: int, profile: bool, key: str) -> dict[str, Any]:
    """One case in this process: the figures (and the profile's text, if asked)."""
    with tempfile.TemporaryDirectory() as tmp:
        log_to = Path(tmp) / "log"
        app, flush = _make_app(case, log_to)
        path = query_path(key)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(_loop(app, path, 500, True))  # checked warm-up
        profiler = cProfile.Profile() if profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        loop.run_until_complete(_loop(app, path, n, False))
        if profiler is not None:
            profiler.disable()
        served = time.perf_counter()
        flush()  # every line written: the writer's work is part of the cost
        cpu1, wall1 = time.process_time(), time.perf_counter()
        loop.close()
        lines = log_to.read_text("utf-8").count("\n") if log_to.exists() else 0
    out: dict[str, Any] = {
        "case": case,
        "wall_us": (wall1 - wall0) / n * 1e6,
        "loop_us": (served - wall0) / n * 1e6,
        "cpu_us": (cpu1 - cpu0) / n * 1e6,
        "lines": lines,
    }
    if profiler is not None:
        out["profile"] = _profile_text(profiler, n)
    return out


def _profile_text(profiler: cProfile.Profile, n: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write("Own time per request under cProfile (inflated by the profiler), by package:\n")
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        parts = filename.replace("\\", "/").split("/")
        package = next((p for p in _PACKAGES if p in parts[:-1]), None)
        totals[package or ("builtins" if filename == "~" else "stdlib/other")] += row[2]
    for package, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        out.write(f"  {package:<14} {seconds / n * 1e6:7.1f} µs\n")
    stats.strip_dirs()
    out.write(f"\n=== top 30 by tottime over {n} requests ===\n")
    stats.sort_stats("tottime").print_stats(30)
    return out.getvalue()


def _spawn(case: str, n: int, profile: bool, key: str) -> dict[str, Any]:
    here = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{here}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-m", "harness.hotpath", "--child", case, "--requests", str(n),
               "--key", key] + (["--cprofile"] if profile else [])  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"hotpath case {case} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(n: int = REQUESTS, rounds: int = ROUNDS, key: str = DEFAULT_KEY) -> str:
    """The table of every case (interleaved rounds) and the two profiles, as text."""
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
    for _ in range(rounds):
        for case in CASES:
            runs[case].append(_spawn(case, n, False, key))
    lines = [
        f"In-process ASGI calls (GET, the magic number), {n} per round, {rounds} rounds, one "
        "process per case and round; per request: the best round (noise only adds), then "
        "the median and the worst.",
        "wall: the loop's time until the last log line is written; cpu: every thread of "
        "the process (the log writer's too).",
        "",
        "| case | cpu µs, best (median, worst) | wall µs, best (median, worst) | cpu × stub "
        "(best) | cpu − stub, µs (best) | log lines/request |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    stub_cpu = min(r["cpu_us"] for r in runs["stub"])
    for case in CASES:
        wall = [r["wall_us"] for r in runs[case]]
        cpu = [r["cpu_us"] for r in runs[case]]
        per_line = statistics.median(r["lines"] for r in runs[case]) / (n + 500)
        lines.append(
            f"| {case} | {min(cpu):.1f} ({statistics.median(cpu):.1f}, {max(cpu):.1f}) | "
            f"{min(wall):.1f} ({statistics.median(wall):.1f}, {max(wall):.1f}) | "
            f"{min(cpu) / stub_cpu:.1f}× | {min(cpu) - stub_cpu:.1f} | {per_line:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    for case in ("off", "text"):
        profiled = _spawn(case, n // 4, True, key)
        text += f"\n## cProfile, case {case} (the loop's thread only)\n\n{profiled['profile']}"
    return text


def run(args: argparse.Namespace) -> int:
    """``bench/run --profile``: measure, print, write ``results/profile-<date>.txt``."""
    from .runner import log

    text = measure(key=args.key)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.stem or 'profile-' + date.today().isoformat()}.txt"
    target.write_text(text, "utf-8")
    print(text[:9000])
    log(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.hotpath", description=__doc__)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--key", default=DEFAULT_KEY)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.requests, args.cprofile, args.key)))
        return 0
    print(measure(args.requests, args.rounds, args.key))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
