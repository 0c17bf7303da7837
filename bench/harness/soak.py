"""``bench/run --soak``: 200k requests against juhe-mock (journal on); does memory stay flat?

The load comes in short chunks at c=32; after each chunk the summed RSS of the server's
processes is sampled. Memory is called bounded when it grows by less than 5% over the
second half of the run: by then a ring-buffer journal is long full, so any further growth
is a leak (an unbounded journal, ledger or orderid record).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from . import facts, load
from .answer import query_path
from .runner import check_answer, fetch, log
from .targets import REPO, juhe_mock

CHUNK_S = 3.0
MAX_SECONDS = 600.0
BOUND = 0.05


def run(args: argparse.Namespace) -> int:
    run_facts = facts.machine_facts(REPO)
    run_facts["wrk"] = load.wrk_version()
    target = juhe_mock(args.key, args.mock_arg)
    path = query_path(args.key)
    series: list[dict[str, Any]] = []
    total = errors = 0
    with tempfile.TemporaryDirectory(prefix="juhe-soak-") as tmp:
        server = target.new(Path(tmp))
        try:
            server.launch()
            server.wait_first_answer()
            sampler = server.start_sampling()
            check_answer(server, path, validate=True)
            series.append({"requests": 0, "rss_kib": sampler.sample()})
            began = time.monotonic()
            while total < args.requests and time.monotonic() - began < MAX_SECONDS:
                res = load.run_load(server.base_url, path, 32, CHUNK_S, args.loadgen)
                total += res.requests
                errors += res.errors
                rss = sampler.sample()
                series.append({"requests": total, "rss_kib": rss, "rps": round(res.rps)})
                log(f"soak: {total:,} requests, RSS {rss / 1024:.1f} MiB, {res.rps:,.0f} req/s")
            check_answer(server, path, validate=True)
            peak = sampler.peak_kib
            journal = json.loads(fetch(server, "/__admin/requests")[1])["count"]
            usage = json.loads(fetch(server, "/__admin/usage")[1])
        finally:
            server.stop()
    half = next(p for p in series if p["requests"] >= total / 2)
    end = series[-1]
    growth = (end["rss_kib"] - half["rss_kib"]) / half["rss_kib"]
    per_10k = (end["rss_kib"] - half["rss_kib"]) / max(1, end["requests"] - half["requests"]) * 1e4
    bounded = growth < BOUND
    summary = {
        "requests": total,
        "errors": errors,
        "rss_start_kib": series[0]["rss_kib"],
        "rss_half_kib": half["rss_kib"],
        "rss_end_kib": end["rss_kib"],
        "peak_kib": peak,
        "second_half_growth": growth,
        "kib_per_10k_requests_second_half": per_10k,
        "bounded": bounded,
        "journal_entries_at_end": journal,
        "usage_at_end": usage,
    }
    run_facts["load_average_at_end"] = facts.load_average()
    verdict = "bounded" if bounded else "GROWING"
    text = (
        f"# Soak, {run_facts['date']}\n\n"
        f"juhe-mock, {target.note}, commit `{run_facts['git_commit']}`, load by "
        f"{run_facts['wrk']} at c=32 in {CHUNK_S:g} s chunks, on a shared "
        f"{run_facts['cpus']}-CPU machine.\n\n"
        f"| requests | errors | RSS at start | at half-way | at end | peak | "
        f"growth, 2nd half | per 10k requests | verdict |\n"
        f"|--:|--:|--:|--:|--:|--:|--:|--:|---|\n"
        f"| {total:,} | {errors:,} | {series[0]['rss_kib'] / 1024:.1f} MiB | "
        f"{half['rss_kib'] / 1024:.1f} MiB | {end['rss_kib'] / 1024:.1f} MiB | "
        f"{peak / 1024:.1f} MiB | {growth * 100:+.1f}% | {per_10k:+.0f} KiB | "
        f"{verdict} (< {BOUND * 100:g}% growth) |\n\n"
        f"Journal entries held at the end: {journal:,} (a ring buffer). The ledger at the end "
        f"(`/__admin/usage`; it also counts the harness's own checks and wrk's last in-flight "
        f"requests): `{json.dumps(usage, ensure_ascii=False)}`.\n"
    )
    print()
    print(text)
    from . import report

    stem = args.stem or f"soak-{date.today().isoformat()}"
    data = {"facts": run_facts, "summary": summary, "series": series}
    paths = report.write_results(args.out, stem, data, text)
    log("wrote " + ", ".join(str(p) for p in paths))
    return 0 if bounded and errors == 0 else 1
