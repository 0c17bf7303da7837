"""Ratios, targets and verdicts; the printed table and the JSON + Markdown results.

A missed target says by how much (``MISSED by 1.5×``: the figure must get 1.5 times better
to meet it) and, below the table, what would close it (:data:`CLOSING`).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    """One figure: each server's value, the ratio that matters, and its target."""

    figure: str
    unit: str
    mock: float | None
    stub: float | None
    wiremock: float | None
    ratio: float | None
    ratio_label: str
    target: str
    met: bool | None
    kind: str = ""  # which target (a key of CLOSING); "" for a figure without one
    shortfall: float | None = None  # for a missed target: how many times better it must get
    #: The rounds' own ratios (``ratio`` is their median), when paired by round.
    spread: Paired | None = None

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON can hold it (the rounds' ratios as a mapping)."""
        out = dict(self.__dict__)
        if self.spread is not None:
            out["spread"] = dict(self.spread.__dict__)
        return out


#: What would close each kind of missed target, from the profile and import timings
#: (``bench/run --profile``; ``python -X importtime``) and the what-if rows of the same run.
CLOSING = {
    "startup": (
        "Start-up is almost all imports (the import-time budget below names the costliest "
        "modules): import what the first answer needs and the rest when first used."
    ),
    "memory": (
        "One process stays near 40-60 MiB. With workers every worker is a full Python with "
        "the app imported beside granian's master: fewer imports per worker or fewer "
        "workers; the ratio also depends on how long WireMock ran, since its heap grows "
        "with the run."
    ),
    "throughput": (
        "The default is one process on one event loop, held by one GIL: the bare stub on "
        "the same server is its ceiling, and what the mock misses of it is its own "
        "per-request work (the engine rows). More processes raise the ceiling: "
        "`juhe-mock --workers N`, measured in the same run in the rows below."
    ),
    "p99": (
        "The tail at c=32 is mostly the machine's, not the mock's: compare the bare stub's "
        "p99 in the same round (same server, no engine), and the foreign load of each run; "
        "`bench/run --tail` measures where it comes from (docs/architecture.md, Serving)."
    ),
    "engine": (
        "What the mock does per request beyond the stub, in Python on the loop: parsing "
        "the query, the scenario decision, the orderid, the journal entry, the ledger, the "
        "log line. `bench/run --profile` gives each case's CPU per request and where it "
        "goes; the server CPU per request row is the same cost measured on the server, "
        "less disturbed by the machine's other work."
    ),
}


#: Foreign load (cores: CPU the machine spent on neither the server nor the load) above
#: which a run measured the machine's other work as much as the server (``cpuwatch``).
BUSY_CORES = 0.25


@dataclass(frozen=True)
class Paired:
    """A ratio over rounds: the median, lowest and highest of the rounds' own ratios, and
    how many rounds it stands on (the quiet ones, when there are any) of how many."""

    median: float
    low: float
    high: float
    used: int
    rounds: int


def _quiet(run: dict[str, Any]) -> bool:
    foreign = run.get("foreign_cores")
    return foreign is None or foreign <= BUSY_CORES


def paired(a: dict[str, Any] | None, b: dict[str, Any] | None, c: str, key: str) -> Paired | None:
    """``a``'s figure ÷ ``b``'s at concurrency ``c``, round by round (the runs of one round
    are back to back). Only the rounds where neither run had foreign load count, when there
    is one; else every round. None without rounds to pair."""
    rounds_a = (((a or {}).get("load") or {}).get(c) or {}).get("rounds")
    rounds_b = (((b or {}).get("load") or {}).get(c) or {}).get("rounds")
    if not rounds_a or not rounds_b or len(rounds_a) != len(rounds_b):
        return None
    pairs = [(x, y) for x, y in zip(rounds_a, rounds_b, strict=True) if x.get(key) and y.get(key)]
    quiet = [(x, y) for x, y in pairs if _quiet(x) and _quiet(y)]
    chosen = quiet or pairs
    if not chosen:
        return None
    ratios = [x[key] / y[key] for x, y in chosen]
    return Paired(statistics.median(ratios), min(ratios), max(ratios), len(chosen), len(pairs))


def _ratio_of(
    a: dict[str, Any] | None, b: dict[str, Any] | None, path: tuple[str, ...]
) -> tuple[float | None, Paired | None]:
    """The ratio of a load figure, paired by round when both have rounds, else of the
    medians; and the rounds it stands on."""
    if len(path) == 3 and path[0] == "load":
        both = paired(a, b, path[1], path[2])
        if both is not None:
            return both.median, both
    return _ratio(_get(a, *path), _get(b, *path)), None


def _get(result: dict[str, Any] | None, *path: str) -> float | None:
    node: Any = result
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return float(node) if isinstance(node, (int, float)) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _met(ratio: float | None, op: str, bound: float) -> bool | None:
    if ratio is None:
        return None
    return ratio <= bound if op == "<=" else ratio >= bound


def _shortfall(ratio: float | None, op: str, bound: float) -> float | None:
    """How many times better a missed figure must get: ratio ÷ bound for a ceiling,
    bound ÷ ratio for a floor; None when the target is met or cannot be judged."""
    if not ratio or _met(ratio, op, bound) is not False:
        return None
    return ratio / bound if op == "<=" else bound / ratio


def _kind(figure: str) -> str:
    """The target a figure is held to (a key of :data:`CLOSING`)."""
    for prefix, kind in (("start", "startup"), ("peak memory", "memory"),
                         ("throughput", "throughput"), ("p99", "p99")):  # fmt: skip
        if figure.startswith(prefix):
            return kind
    return ""


def build_rows(
    mock: dict[str, Any] | None,
    stub: dict[str, Any] | None,
    wm: dict[str, Any] | None,
    client: dict[str, Any] | None,
    alt: dict[str, Any] | None = None,
    workers: dict[str, Any] | None = None,
    worker_count: int = 2,
) -> list[Row]:
    """Every figure against WireMock, then mock ÷ bare stub, then client ÷ raw requests.

    ``alt`` is the bare stub on a multi-worker server (granian): rows that show what the
    server alone would buy against the same targets. ``workers`` is juhe-mock itself with
    ``--workers N`` (granian), held to the same targets and priced against ``alt``.
    """
    specs: list[tuple[str, str, tuple[str, ...], float, str | None, float]] = [
        ("start to first answer (median)", "ms", ("startup_s", "median"), 1000, "<=", 0.15),
        ("peak memory", "MiB", ("peak_memory_kib",), 1 / 1024, "<=", 0.05),
        ("throughput c=1", "req/s", ("load", "1", "rps"), 1, None, 0),
        ("throughput c=32", "req/s", ("load", "32", "rps"), 1, ">=", 2.0),
        ("p50 latency c=1", "ms", ("load", "1", "p50_ms"), 1, None, 0),
        ("p99 latency c=1", "ms", ("load", "1", "p99_ms"), 1, None, 0),
        ("p50 latency c=32", "ms", ("load", "32", "p50_ms"), 1, None, 0),
        ("p99 latency c=32", "ms", ("load", "32", "p99_ms"), 1, "<=", 0.05),
        ("p99.9 latency c=32", "ms", ("load", "32", "p999_ms"), 1, None, 0),
    ]
    rows = []
    for figure, unit, path, scale, op, bound in specs:
        values = [_get(r, *path) for r in (mock, stub, wm)]
        m, s, w = (v * scale if v is not None else None for v in values)
        ratio, spread = _ratio_of(mock, wm, path)
        target = f"{'≤' if op == '<=' else '≥'} {bound:g}× WireMock" if op else "—"
        met = _met(ratio, op, bound) if op else None
        gap = _shortfall(ratio, op, bound) if op else None
        rows.append(
            Row(figure, unit, m, s, w, ratio, "mock ÷ WireMock", target, met,
                _kind(figure) if op else "", gap, spread)
        )  # fmt: skip
    for c, op_bound in (("1", None), ("32", 0.9)):
        m = _get(mock, "load", c, "rps")
        s = _get(stub, "load", c, "rps")
        ratio, spread = _ratio_of(mock, stub, ("load", c, "rps"))
        target = "≥ 0.9× bare stub (engine+journal+ledger ≤ 10%)" if op_bound else "—"
        met = _met(ratio, ">=", op_bound) if op_bound else None
        gap = _shortfall(ratio, ">=", op_bound) if op_bound else None
        rows.append(
            Row(f"throughput c={c}, mock vs bare stub", "req/s", m, s, None, ratio,
                "mock ÷ bare stub", target, met, "engine" if op_bound else "", gap, spread)
        )  # fmt: skip
    # The same cost as CPU: what the server's processes spent per request, mock and stub.
    m = _get(mock, "load", "32", "server_cpu_us")
    s = _get(stub, "load", "32", "server_cpu_us")
    ratio, spread = _ratio_of(stub, mock, ("load", "32", "server_cpu_us"))
    if ratio is not None:
        rows.append(
            Row("server CPU per request c=32, mock vs bare stub", "µs", m, s, None, ratio,
                "stub CPU ÷ mock CPU", "≥ 0.9 (the mock's own work ≤ 10%)",
                _met(ratio, ">=", 0.9), "engine", _shortfall(ratio, ">=", 0.9), spread)
        )  # fmt: skip
    variants = [
        (workers, f"juhe-mock --workers {worker_count}", f"mock ×{worker_count} ÷ WireMock"),
        (alt, "bare stub on granian", "granian stub ÷ WireMock"),
    ]
    for result, who, label in variants:
        if result is None:
            continue
        for figure, unit, path, scale, op, bound in specs:
            if op is None:
                continue
            a = _get(result, *path)
            w = _get(wm, *path)
            a = a * scale if a is not None else None
            w = w * scale if w is not None else None
            ratio, spread = _ratio_of(result, wm, path)
            sign = "≤" if op == "<=" else "≥"
            rows.append(
                Row(
                    f"{figure}, {who}",
                    unit,
                    a if result is workers else None,
                    None if result is workers else a,
                    w,
                    ratio,
                    label,
                    f"{sign} {bound:g}× WireMock",
                    _met(ratio, op, bound),
                    _kind(figure),
                    _shortfall(ratio, op, bound),
                    spread,
                )
            )
    if workers is not None and alt is not None:
        m = _get(workers, "load", "32", "rps")
        s = _get(alt, "load", "32", "rps")
        ratio = _ratio(m, s)
        rows.append(
            Row(
                f"throughput c=32, mock ×{worker_count} vs stub, both on granian",
                "req/s",
                m,
                s,
                None,
                ratio,
                "mock ÷ bare stub",
                "≥ 0.9× bare stub (engine+journal+ledger ≤ 10%)",
                _met(ratio, ">=", 0.9),
                "engine",
                _shortfall(ratio, ">=", 0.9),
            )
        )
    if client is not None:
        rows.append(
            Row(
                "per-call time, client vs raw requests (median)",
                "µs",
                client["client"]["median_us"],
                client["raw_requests"]["median_us"],
                None,
                client["ratio"],
                "client ÷ raw requests",
                f"overhead {client['overhead_us']:+.0f} µs/call",
                None,
            )
        )
    return rows


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio_text(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.3f}×" if ratio < 0.1 else f"{ratio:.2f}×"


def _ratio_cell(row: Row) -> str:
    """The ratio, with the lowest and highest of the rounds' own ratios when paired."""
    text = _ratio_text(row.ratio)
    spread = row.spread
    if spread is not None:
        text += f" ({_ratio_text(spread.low).rstrip('×')}–{_ratio_text(spread.high)}"
        if spread.used < spread.rounds:
            text += f"; {spread.used} of {spread.rounds} rounds, the quiet ones"
        text += ")"
    return text


def _verdict(row: Row) -> str:
    if row.met is False and row.shortfall is not None:
        return f"MISSED by {row.shortfall:.2f}×"
    return {True: "met", False: "MISSED", None: ""}[row.met]


def closing_notes(rows: list[Row]) -> list[str]:
    """For each kind of target missed in ``rows``: which figures, by how much, and what
    would close it."""
    notes = []
    for kind, remedy in CLOSING.items():
        missed = [r for r in rows if r.kind == kind and r.met is False]
        if missed:
            which = "; ".join(
                f"{r.figure} {_ratio_text(r.ratio)} against {r.target} ({_verdict(r)})"
                for r in missed
            )
            notes.append(f"**{kind}** — {which}. {remedy}")
    return notes


def markdown_table(rows: list[Row]) -> str:
    head = (
        "| figure | unit | juhe-mock | bare stub / raw | WireMock | ratio | of | target | |\n"
        "|---|---|--:|--:|--:|--:|---|---|---|\n"
    )
    lines = [
        f"| {r.figure} | {r.unit} | {_fmt(r.mock)} | {_fmt(r.stub)} | {_fmt(r.wiremock)} | "
        f"{_ratio_cell(r)} | {r.ratio_label} | {r.target} | {_verdict(r)} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def text_table(rows: list[Row]) -> str:
    header = ("figure", "unit", "juhe-mock", "stub/raw", "WireMock", "ratio", "target", "")
    body = [
        (
            r.figure,
            r.unit,
            _fmt(r.mock),
            _fmt(r.stub),
            _fmt(r.wiremock),
            _ratio_cell(r),
            r.target,
            _verdict(r),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    out = []
    for row in [header, *body]:
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(out)


def write_results(out_dir: Path, stem: str, data: dict[str, Any], markdown: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stem}.json"
    md_path = out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    md_path.write_text(markdown, "utf-8")
    return [json_path, md_path]
