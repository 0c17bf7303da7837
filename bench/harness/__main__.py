"""``bench/run``: the whole benchmark in one run, or ``--soak``, ``--profile``, ``--tail`` or
``--proxy``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from . import clientcost, facts, load, peers, report, wiremock
from .answer import DEFAULT_KEY
from .cpuwatch import BUSY_CORES
from .runner import Plan, Subject, log, measure_all, run_guarded
from .summary import extras_markdown, peer_table, rounds_table
from .targets import (
    BENCH,
    REPO,
    bare_stub,
    bare_stub_asgi,
    bare_stub_granian,
    juhe_mock,
    wiremock_target,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--soak", action="store_true", help="200k-request soak of juhe-mock")
    mode.add_argument(
        "--profile", action="store_true", help="the mock's CPU per request, in process"
    )
    mode.add_argument(
        "--tail", action="store_true", help="where the tail comes from (c=32, five variants)"
    )
    mode.add_argument(
        "--proxy", action="store_true",
        help="the guard proxy's own cost: juhe-mock --upstream against its upstream direct",
    )  # fmt: skip
    p.add_argument("--launches", type=int, default=5, help="launches for the start-up median")
    p.add_argument("--warmup", type=float, default=10.0, help="warm-up seconds at c=32")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per load run")
    p.add_argument(
        "--concurrency", type=int, action="append", default=None,
        help="a concurrency to load at (repeatable; default 1, 32, 256, 1000)",
    )  # fmt: skip
    p.add_argument("--short", action="store_true", help="a quick check of the harness")
    p.add_argument("--no-peers", action="store_true", help="skip Prism, Mockoon, nginx")
    p.add_argument("--no-redis", action="store_true", help="skip --workers 2 --state redis://")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of load runs")
    p.add_argument(
        "--no-retry-busy", action="store_true",
        help="keep a load run that had foreign load instead of running it once more",
    )  # fmt: skip
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-wiremock", action="store_true", help="skip WireMock")
    p.add_argument(
        "--skip-mock", action="store_true", help="skip juhe-mock (to try the harness alone)"
    )
    p.add_argument(
        "--granian-workers",
        type=int,
        default=0,
        help="also serve the bare Flask stub on granian WSGI with N workers (0: don't)",
    )
    p.add_argument(
        "--mock-workers",
        type=int,
        default=2,
        help="also run juhe-mock --workers N (granian; 0 or 1: don't)",
    )
    p.add_argument(
        "--stub-server",
        choices=("asgi", "granian", "waitress"),
        default="asgi",
        help="the bare stub's server: as juhe-mock's default (granian, 1 worker) or waitress "
        "(to price juhe-mock --server waitress, given as --mock-arg)",
    )
    p.add_argument(
        "--stub-threads",
        type=int,
        default=None,
        help="threads of the stub (as juhe-mock: 4 on granian, 8 on waitress)",
    )
    p.add_argument(
        "--mock-arg", action="append", default=[], help="extra flag for juhe-mock (repeatable)"
    )
    p.add_argument("--key", default=DEFAULT_KEY, help="API key sent to every server")
    p.add_argument("--client-calls", type=int, default=1000, help="calls per side")
    p.add_argument("--requests", type=int, default=200_000, help="soak: total requests")
    p.add_argument("--out", type=Path, default=BENCH / "results")
    p.add_argument("--stem", default=None, help="results file name (default: the date)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def body() -> int:
        if args.soak:
            from . import soak

            return soak.run(args)
        if args.profile:
            from . import hotpath

            return hotpath.run(args)
        if args.tail:
            from . import tail

            return tail.run(args)
        if args.proxy:
            from . import proxy

            if args.short:
                args.duration, args.rounds = 2.0, 2
            return proxy.run(args)
        return _bench(args)

    return run_guarded(body, _stop_redis)


def _stop_redis() -> None:
    """The redis-server the juhe-mock-on-Redis row started (``scale._REDIS``): the run's
    own servers are stopped by ``run_guarded``, this one is not a ServerProcess."""
    from .scale import _stop_redis as stop

    stop()


def _bench(args: argparse.Namespace) -> int:
    if args.short:
        args.launches, args.warmup, args.duration, args.rounds = 2, 1.0, 1.0, 2
        args.client_calls = min(args.client_calls, 200)
    levels = tuple(args.concurrency or (1, 32, 256, 1000))
    plan = Plan(args.launches, args.warmup, args.duration, args.rounds, args.loadgen, levels,
                not args.no_retry_busy)  # fmt: skip
    run_facts = facts.machine_facts(REPO)
    notes: list[str] = []
    if args.loadgen == "python" or (args.loadgen == "auto" and load.wrk_path() is None):
        notes.append(
            "Load from the Python generator (no wrk on PATH, or --loadgen python): it is "
            "GIL-bound and shares the cores with the server, so absolute rates are low; "
            "compare the ratios only."
        )
    run_facts["wrk"] = load.wrk_version()
    run_facts["java"] = wiremock.java_version()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="juhe-bench-") as tmp:
        work = Path(tmp)
        logs = work / "logs"
        wm_target = None
        if not args.no_wiremock:
            try:
                wm_target, run_facts["wiremock"] = wiremock_target(args.key, BENCH / ".cache", work)
            except wiremock.Unavailable as exc:
                notes.append(str(exc))
                log(str(exc))
        else:
            notes.append("WireMock skipped: --no-wiremock")

        def client_extra(server: Any) -> dict[str, Any]:
            try:
                cost = clientcost.measure(server.base_url, args.key, args.client_calls)
            except ImportError as exc:
                notes.append(f"client cost skipped: {exc}")
                return {}
            log(
                f"client {cost['client']['median_us']:.0f} µs vs raw requests "
                f"{cost['raw_requests']['median_us']:.0f} µs per call"
            )
            return {"client_cost": cost}

        subjects: list[Subject] = []
        if args.skip_mock:
            notes.append("juhe-mock skipped: --skip-mock")
        else:
            subjects.append(Subject(juhe_mock(args.key, args.mock_arg), True, client_extra))
        threads = args.stub_threads or (4 if args.stub_server == "granian" else 8)
        if args.stub_server == "asgi":
            subjects.append(Subject(bare_stub_asgi(args.key)))
        else:
            subjects.append(Subject(bare_stub(args.key, threads, args.stub_server)))
        if args.granian_workers > 0:
            alt = bare_stub_granian(args.key, args.granian_workers)
            if alt is None:
                notes.append("granian not installed (dev extra): the what-if rows are missing")
            else:
                subjects.append(Subject(alt))
        if args.mock_workers > 1 and not args.skip_mock:
            flags = ["--workers", str(args.mock_workers), *args.mock_arg]
            subjects.append(Subject(juhe_mock(args.key, flags, "juhe-mock-workers"), True))
        if args.mock_workers > 1 and not args.skip_mock and not args.no_redis:
            try:
                from .scale import _REDIS, _start_redis

                proc, url = _start_redis(logs)
                _REDIS.append(proc)
                flags = ["--workers", str(args.mock_workers), "--state", url]
                subjects.append(Subject(juhe_mock(args.key, flags, "juhe-mock-redis"), True))
            except RuntimeError as exc:
                notes.append(f"juhe-mock on Redis skipped: {exc}")
        if wm_target is not None:
            subjects.append(Subject(wm_target))
        if not args.no_peers:
            for make in (
                lambda: peers.prism_target(BENCH / ".cache", work),
                lambda: peers.mockoon_target(BENCH / ".cache", work),
                lambda: peers.nginx_target(work),
            ):
                try:
                    subjects.append(Subject(make()))
                except peers.Skipped as exc:
                    notes.append(str(exc))
                    log(str(exc))
        results.update(measure_all(subjects, plan, logs, args.key))
        extras = _extras(args, work, logs)
    run_facts["load_average_at_end"] = facts.load_average()
    busiest = max(run_facts["load_average_at_start"][0], run_facts["load_average_at_end"][0])
    if busiest > (run_facts["cpus"] or 1):
        notes.append(
            f"The machine was busy with other work (1-minute load average up to {busiest:.1f} "
            f"on {run_facts['cpus']} CPUs): absolute figures are depressed and noisy, and "
            "even the ratios move between runs; compare several runs before concluding."
        )
    rows = report.build_rows(
        results.get("juhe-mock"),
        results.get("bare-stub"),
        results.get("wiremock"),
        results.get("juhe-mock", {}).get("client_cost"),
        results.get("bare-stub-granian"),
        results.get("juhe-mock-workers"),
        args.mock_workers,
    )
    print()
    print(report.text_table(rows))
    for note in notes:
        print("note:", note)
    for closing in report.closing_notes(rows):
        print("to close:", closing.replace("**", ""))
    stem = args.stem or datetime.now().strftime("%Y-%m-%dT%H%M")
    from . import chart

    chart_path = args.out / f"{stem}.png"
    args.out.mkdir(parents=True, exist_ok=True)
    chart_note = chart.draw(results, chart_path, f"bench/run {stem} ({run_facts['cpus']} CPUs)")
    if chart_note:
        notes.append(chart_note)
    data = {
        "facts": run_facts,
        "plan": plan.__dict__,
        "notes": notes,
        "rows": [r.as_dict() for r in rows],
        "servers": results,
        "extras": extras,
    }
    markdown = _markdown(run_facts, plan, notes, rows, results)
    markdown += "\n" + peer_table(results, plan.concurrencies) + "\n"
    if 32 in plan.concurrencies:
        markdown += "\n" + rounds_table(results) + "\n"
    markdown += extras_markdown(extras, None if chart_note else chart_path.name)
    paths = report.write_results(args.out, stem, data, markdown)
    (args.out / "latest.md").write_text(markdown, "utf-8")
    (args.out / "latest.json").write_text(paths[0].read_text("utf-8"), "utf-8")
    log("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _extras(args: argparse.Namespace, work: Path, logs: Path) -> dict[str, Any]:
    """The figures beside the load: delayed answers, the import budget."""
    from . import delayed, imports

    extras: dict[str, Any] = {}
    if not args.skip_mock:
        log("delayed answers: 64 and 256 concurrent requests of a 1 s latency rule")
        extras["delayed"] = delayed.measure(work, logs)
        log(f"delayed: {extras['delayed']}")
    extras["imports"] = imports.budget()
    log(f"import budget: {extras['imports']['total_ms']:.0f} ms")
    return extras


def _markdown(
    run_facts: dict[str, Any],
    plan: Plan,
    notes: list[str],
    rows: list[report.Row],
    results: dict[str, Any],
) -> str:
    pk = run_facts["packages"]
    lines = [
        f"# Benchmark, {run_facts['date']}",
        "",
        f"Commit `{run_facts['git_commit']}`; {run_facts['cpu']}, {run_facts['cpus']} CPUs, "
        f"{run_facts['mem_total_mib']:,} MiB RAM, {run_facts['host_os']}; Python "
        f"{run_facts['python']}, Flask {pk['flask']}, waitress {pk['waitress']}, granian "
        f"{pk['granian']}, requests {pk['requests']}; WireMock "
        f"{run_facts.get('wiremock', 'not run')} on {run_facts['java']}; load by "
        f"{run_facts['wrk']}.",
        "",
        f"Load average {_load(run_facts['load_average_at_start'])} at the start and "
        f"{_load(run_facts['load_average_at_end'])} at the end: the machine is shared with "
        "other work, so absolute figures are noisy; the ratios (same run, same machine) "
        "are what counts.",
        "",
        f"Start-up: median of {plan.launches} launches, spawn to first correct answer. Load: "
        f"all servers up at once; {plan.warmup_s:g} s warm-up each at c=32, then "
        f"{plan.rounds} rounds of {plan.duration_s:g} s per server and concurrency over "
        "keep-alive connections, every server back to back at each concurrency, in an order "
        "that turns each round; each figure is the median over the rounds and each ratio "
        "the median of the rounds' own ratios, their lowest and highest in brackets. A run "
        f"during which the machine's other work took more than {BUSY_CORES:g} of a core "
        "(foreign load) was run once more, the quieter kept; a ratio leaves out the rounds "
        "that still had foreign load, when some had none. "
        "Memory: the highest summed RSS (or VmHWM) of every process in the server's process "
        "group over its loaded launch. Client: median per call over sequential calls.",
        "",
        report.markdown_table(rows),
        "`MISSED by k×`: the figure must get k times better (smaller for a ceiling, larger "
        "for a floor) to meet its target.",
        "",
    ]
    closing = report.closing_notes(rows)
    if closing:
        lines += ["What would close each missed target:", "", *[f"- {c}" for c in closing], ""]
    if notes:
        lines += ["Notes:", "", *[f"- {n}" for n in notes], ""]
    lines += ["Servers:", ""]
    for res in results.values():
        lines.append(f"- **{res['name']}**: {res['note']}")
    lines += [
        "",
        "Figures per round are in the JSON beside this file. The hot-path profile and the "
        "findings of earlier runs: `bench/README.md`.",
    ]
    return "\n".join(lines) + "\n"


def _load(avg: Any) -> str:
    return "/".join(f"{x:.2f}" for x in avg)


if __name__ == "__main__":
    sys.exit(main())
