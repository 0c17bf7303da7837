"""``bench/run --proxy``: the guard proxy's own cost, as a ratio to calling its upstream.

The upstream is the bare ASGI stub (constant bytes on granian, the fastest thing we can
put behind the proxy: what remains is the proxy's own work). In one run, interleaved
round by round at each concurrency, wrk loads:

* ``direct``: the stub itself;
* ``proxy-cached``: ``juhe-mock --upstream STUB`` asked one hash again and again (after the
  first lookup every answer is the cache's);
* ``proxy-forwarded``: the same proxy asked a new hash on every request (a wrk Lua script
  counts them), so each one is forwarded: the cache missed, a claim, the budget, the httpx
  call, the verdict, the cache written.

The figures are each one's median over the rounds, and the ratios to ``direct``; the
per-call overhead is ``p50(proxy) - p50(direct)`` at c=1. wrk is required (the Python
load generator cannot vary the hash). Short by default: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from contract import PATH

from . import facts
from .answer import DEFAULT_KEY, query_path
from .load import LoadResult, run_wrk, wrk_path
from .procs import ServerProcess, free_port
from .runner import log
from .targets import REPO, _env, bare_stub_asgi, mock_command

#: A new well-formed hash per request: the round's salt, the wrk thread, a counter.
_NEW_HASH_LUA = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  salt = tonumber(args[1]) or 0
  n = 0
end
request = function()
  n = n + 1
  local mobile = string.format("%08x%08x%048x", salt, tid, n)
  return wrk.format("GET", wrk.path .. "?key=app-key&mobile=" .. mobile)
end
"""
KINDS = ("direct", "proxy-cached", "proxy-forwarded")


def _wrk_new_hashes(base: str, concurrency: int, seconds: float, salt: int) -> LoadResult:
    """wrk against ``base``'s API path, a hash never asked before on every request."""
    return run_wrk(base + PATH, concurrency, seconds, lua=_NEW_HASH_LUA, script_args=[str(salt)])


def _proxy(stub: ServerProcess, log_dir: Path) -> ServerProcess:
    port = free_port()
    argv = [*mock_command(), "--host", "127.0.0.1", "--port", str(port),
            "--upstream", stub.base_url]  # fmt: skip
    env = {**_env(), "JUHE_KEY": DEFAULT_KEY}
    return ServerProcess("juhe-mock-proxy", argv, port, log_dir, env=env, key=DEFAULT_KEY)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every kind at every concurrency, in interleaved rounds; medians and ratios."""
    levels = tuple(args.concurrency or (1, 32))
    with tempfile.TemporaryDirectory(prefix="juhe-bench-proxy-") as tmp:
        logs = Path(tmp)
        stub = bare_stub_asgi(DEFAULT_KEY).new(logs)
        stub.launch()
        stub.wait_first_answer()
        proxy = _proxy(stub, logs)
        proxy.launch()
        proxy.wait_first_answer()  # through the proxy: its first lookup, then cached
        runs: dict[tuple[str, int], list[LoadResult]] = {}
        path = query_path(DEFAULT_KEY)
        try:
            for c in levels:  # warm both sides up at each level
                run_wrk(stub.base_url + path, c, 1)
                run_wrk(proxy.base_url + path, c, 1)
            for r in range(args.rounds):
                for c in levels:
                    for kind in KINDS:
                        if kind == "direct":
                            result = run_wrk(stub.base_url + path, c, args.duration)
                        elif kind == "proxy-cached":
                            result = run_wrk(proxy.base_url + path, c, args.duration)
                        else:
                            result = _wrk_new_hashes(proxy.base_url, c, args.duration,
                                                     salt=r * 1000 + c)  # fmt: skip
                        runs.setdefault((kind, c), []).append(result)
                        log(f"round {r + 1} c={c} {kind}: {result.rps:,.0f} req/s, "
                            f"p50 {result.p50_ms:.2f} ms, {result.errors} errors")  # fmt: skip
        finally:
            proxy.stop()
            stub.stop()
    return _summary(runs, levels)


def _median(results: list[LoadResult]) -> dict[str, float]:
    return {
        k: statistics.median(getattr(r, k) for r in results) for k in ("rps", "p50_ms", "p99_ms")
    }


def _summary(
    runs: dict[tuple[str, int], list[LoadResult]], levels: tuple[int, ...]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for c in levels:
        median = {kind: _median(runs[(kind, c)]) for kind in KINDS}
        for kind in KINDS:
            base = median["direct"]
            rows.append({
                "concurrency": c, "kind": kind, **median[kind],
                "errors": sum(r.errors for r in runs[(kind, c)]),
                "rps_ratio": median[kind]["rps"] / base["rps"] if base["rps"] else 0.0,
                "p50_extra_ms": median[kind]["p50_ms"] - base["p50_ms"],
                "rounds": [r.as_dict() for r in runs[(kind, c)]],
            })  # fmt: skip
    return {"rows": rows}


def _markdown(data: dict[str, Any]) -> str:
    f = data["facts"]
    lines = [
        f"# The guard proxy's own cost, {f['date']}", "",
        f"Commit `{f['git_commit']}`; {f['cpu']}, {f['cpus']} CPUs; load average "
        f"{'/'.join(f'{x:.2f}' for x in f['load_average_at_start'])} at the start: "
        "a shared machine, a short run; read the ratios, not the absolute figures.", "",
        f"Upstream: the bare ASGI stub (constant bytes on granian). {data['rounds']} "
        f"interleaved rounds of {data['duration_s']:g} s per kind and concurrency (wrk "
        "`-t2`, keep-alive); medians over the rounds. `proxy-cached`: one hash again and "
        "again; `proxy-forwarded`: a new hash every request (each forwarded).", "",
        "| c | kind | req/s | × direct | p50 ms | p50 − direct | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for row in data["rows"]:
        lines.append(
            f"| {row['concurrency']} | {row['kind']} | {row['rps']:,.0f} | "
            f"{row['rps_ratio']:.2f}× | {row['p50_ms']:.2f} | {row['p50_extra_ms']:+.2f} | "
            f"{row['p99_ms']:.2f} | {row['errors']} |"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if wrk_path() is None:
        log("bench/run --proxy needs wrk (Debian: apt-get install wrk): it varies the hash")
        return 2
    run_facts = facts.machine_facts(REPO)
    result = measure(args)
    data = {"facts": run_facts, "rounds": args.rounds, "duration_s": args.duration, **result}
    stem = args.stem or "proxy-" + datetime.now().strftime("%Y-%m-%dT%H%M")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    markdown = _markdown(data)
    (args.out / f"{stem}.md").write_text(markdown, "utf-8")
    print(markdown)
    log(f"wrote {args.out / stem}.json and .md")
    return 0
