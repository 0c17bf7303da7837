"""The Markdown of the peers table (every server, every concurrency, ratios against
WireMock and against the ceiling) and of the extra figures (delayed answers, imports)."""

from __future__ import annotations

from typing import Any

_ORDER = ["juhe-mock", "juhe-mock-workers", "juhe-mock-redis", "bare-stub", "wiremock",
          "prism", "mockoon", "nginx"]  # fmt: skip


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "–"


def _num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:,.{places}f}"


#: The servers whose rounds are shown one by one (the targets are held against them).
_ROUNDS_OF = ("juhe-mock", "bare-stub", "wiremock")


def rounds_table(results: dict[str, dict[str, Any]], c: int = 32) -> str:
    """Each round at concurrency ``c`` on its own line: the spread the medians hide."""
    lines = [
        f"## Each round at c={c}, reported separately",
        "",
        "| round | server | req/s | p99 ms | p99.9 ms | server CPU µs/req | foreign, cores | "
        "run again |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in _ROUNDS_OF:
        rounds = ((results.get(name, {}).get("load") or {}).get(str(c)) or {}).get("rounds")
        for i, run in enumerate(rounds or [], 1):
            lines.append(
                f"| {i} | {name} | {run['rps']:,.0f} | {run['p99_ms']:.2f} | "
                f"{run.get('p999_ms', 0):.2f} | {_num(run.get('server_cpu_us'), 0)} | "
                f"{_num(run.get('foreign_cores'))} | {'yes' if run.get('retried') else ''} |"
            )
    return "\n".join(lines) + "\n"


def peer_table(results: dict[str, dict[str, Any]], levels: tuple[int, ...]) -> str:
    names = [n for n in _ORDER if n in results] + [n for n in results if n not in _ORDER]
    lines = [
        "## Every server at every concurrency (keep-alive; median over rounds, min–max beside)",
        "",
        "Server CPU: what the server's processes spent per request (median over rounds); "
        "foreign: the most CPU the machine spent elsewhere during one of the runs, in cores.",
        "",
        "| server | c | req/s (min–max) | p50 ms | p99 ms (min–max) | p99.9 ms (min–max) | "
        "errors | timeouts | server CPU µs/req | foreign, cores | req/s × WireMock | "
        "req/s × nginx | p99 × WireMock |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        for c in levels:
            load = (results[name].get("load") or {}).get(str(c))
            if load is None:
                continue
            wm = (results.get("wiremock", {}).get("load") or {}).get(str(c), {})
            ng = (results.get("nginx", {}).get("load") or {}).get(str(c), {})
            lines.append(
                f"| {name} | {c} | {load['rps']:,.0f} ({load['rps_min']:,.0f}–"
                f"{load['rps_max']:,.0f}) | {load['p50_ms']:.2f} | {load['p99_ms']:.2f} "
                f"({load['p99_ms_min']:.2f}–{load['p99_ms_max']:.2f}) | {load['p999_ms']:.2f} "
                f"({_num(load.get('p999_ms_min'))}–{_num(load.get('p999_ms_max'))}) | "
                f"{load['errors']} | {load['timeouts']} | {_num(load.get('server_cpu_us'), 0)} | "
                f"{_num(load.get('foreign_cores_max'))} | {_ratio(load['rps'], wm.get('rps'))} | "
                f"{_ratio(load['rps'], ng.get('rps'))} | "
                f"{_ratio(load['p99_ms'], wm.get('p99_ms'))} |"
            )
    lines += ["", "Start-up and peak memory:", "",
              "| server | start to first answer, ms | × WireMock | peak memory, MiB | × WireMock |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    wm_start = results.get("wiremock", {}).get("startup_s", {}).get("median")
    wm_mem = results.get("wiremock", {}).get("peak_memory_kib")
    for name in names:
        res = results[name]
        if "startup_s" not in res:
            lines.append(f"| {name} | {res.get('note', 'skipped')} | | | |")
            continue
        start = res.get("startup_s", {}).get("median")
        mem = res.get("peak_memory_kib")
        lines.append(
            f"| {name} | {start * 1000 if start else 0:,.0f} | {_ratio(start, wm_start)} | "
            f"{(mem or 0) / 1024:,.1f} | {_ratio(mem, wm_mem)} |"
        )
    return "\n".join(lines) + "\n"


def extras_markdown(extras: dict[str, Any], chart: str | None) -> str:
    lines: list[str] = []
    if chart:
        lines += ["", f"![req/s and p99 against concurrency]({chart})", ""]
    delayed = extras.get("delayed")
    if delayed:
        lines += ["## Delayed answers (a rule `latency: 1.0`, N requests at once)", "",
                  "| N | errors | first, s | median, s | last, s |",
                  "|---:|---:|---:|---:|---:|"]  # fmt: skip
        for row in delayed.values():
            if isinstance(row, dict):
                lines.append(
                    f"| {row['n']} | {row['errors']} | {row['first_s'] or 0:.3f} | "
                    f"{row['median_s'] or 0:.3f} | {row['last_s'] or 0:.3f} |"
                )
        lines.append("")
    imports = extras.get("imports")
    if imports:
        lines += ["## Import-time budget of a start (`python -X importtime`)", "",
                  f"Total: **{imports['total_ms']:.0f} ms**; Flask imported: "
                  f"{imports['has_flask']}; jsonschema imported: {imports['has_jsonschema']}.",
                  "", "| costliest modules (own time) | ms |", "|---|---:|"]  # fmt: skip
        lines += [f"| `{row['module']}` | {row['self_ms']:.1f} |" for row in imports["top_self_ms"]]
        lines.append("")
    return "\n".join(lines) + "\n"
