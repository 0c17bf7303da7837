"""bench/harness/report.py on made-up figures: a missed target says by how much and what would
close it. (No timing here: the figures are constants; the benchmark itself runs by hand.)"""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import pytest

from ..helpers.paths import ROOT

REPORT = ROOT / "bench" / "harness" / "report.py"


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", REPORT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def server(start_s: float, mem_mib: float, rps32: float, p99_32: float) -> dict[str, Any]:
    load = {c: {"rps": rps32, "p50_ms": 1.0, "p99_ms": p99_32} for c in ("1", "32")}
    return {"startup_s": {"median": start_s}, "peak_memory_kib": mem_mib * 1024, "load": load}


def rows_by_figure(report: ModuleType, mock: dict[str, Any]) -> dict[str, Any]:
    wiremock = server(1.0, 2000, 10_000, 100)
    stub = server(0.2, 40, 3_000, 20)
    return {row.figure: row for row in report.build_rows(mock, stub, wiremock, None)}


def test_missed_targets_say_by_how_much(report: ModuleType) -> None:
    rows = rows_by_figure(report, server(0.3, 40, 2_500, 50))
    start = rows["start to first answer (median)"]  # 0.30× against ≤ 0.15×
    assert (start.met, start.kind, start.shortfall) == (False, "startup", pytest.approx(2.0))
    rps = rows["throughput c=32"]  # 0.25× against ≥ 2× (issue 15)
    assert (rps.met, rps.kind, rps.shortfall) == (False, "throughput", pytest.approx(8.0))
    p99 = rows["p99 latency c=32"]  # 0.5× against ≤ 0.05× (issue 15)
    assert p99.shortfall == pytest.approx(10.0)
    engine = rows["throughput c=32, mock vs bare stub"]  # 2,500 ÷ 3,000 against ≥ 0.9×
    assert (engine.kind, engine.shortfall) == ("engine", pytest.approx(0.9 / (2500 / 3000)))
    table = report.markdown_table(list(rows.values()))
    assert "| MISSED by 2.00× |" in table and "| MISSED by 8.00× |" in table


def test_met_targets_have_no_shortfall_and_no_closing_note(report: ModuleType) -> None:
    rows = rows_by_figure(report, server(0.1, 40, 25_000, 4))
    memory = rows["peak memory"]
    assert (memory.met, memory.shortfall) == (True, None)
    assert all(row.met is not False for row in rows.values())
    assert report.closing_notes(list(rows.values())) == []


def test_closing_notes_name_each_missed_target_with_its_remedy(report: ModuleType) -> None:
    rows = list(rows_by_figure(report, server(0.3, 400, 2_500, 50)).values())
    notes = report.closing_notes(rows)
    kinds = [note.split("**")[1] for note in notes]
    assert kinds == ["startup", "memory", "throughput", "p99", "engine"]
    for kind, note in zip(kinds, notes, strict=True):
        assert "MISSED by" in note and report.CLOSING[kind] in note


def with_rounds(result: dict[str, Any], c: str, rounds: list[dict[str, float]]) -> dict[str, Any]:
    result["load"][c]["rounds"] = rounds
    return result


def test_ratios_are_paired_round_by_round_with_their_spread(report: ModuleType) -> None:
    # Round 2 was slow for both (the machine was busy): the paired ratio stays 0.5, where
    # the ratio of the medians would not be.
    mock = with_rounds(server(0.3, 40, 3_000, 50), "32", [
        {"rps": 5_000, "p99_ms": 10, "server_cpu_us": 60},
        {"rps": 1_000, "p99_ms": 40, "server_cpu_us": 60},
        {"rps": 6_000, "p99_ms": 8, "server_cpu_us": 66},
    ])  # fmt: skip
    stub = with_rounds(server(0.2, 40, 9_000, 20), "32", [
        {"rps": 10_000, "p99_ms": 5, "server_cpu_us": 40},
        {"rps": 2_000, "p99_ms": 20, "server_cpu_us": 48},
        {"rps": 12_000, "p99_ms": 4, "server_cpu_us": 44},
    ])  # fmt: skip
    assert report.paired(mock, stub, "32", "rps") == report.Paired(0.5, 0.5, 0.5, 3, 3)
    assert report.paired(mock, stub, "32", "p99_ms") == report.Paired(2.0, 2.0, 2.0, 3, 3)
    assert report.paired(mock, None, "32", "rps") is None
    wiremock = server(1.0, 2000, 10_000, 100)
    rows = {row.figure: row for row in report.build_rows(mock, stub, wiremock, None)}
    engine = rows["throughput c=32, mock vs bare stub"]
    assert (engine.ratio, engine.spread.low, engine.spread.high) == (0.5, 0.5, 0.5)
    assert engine.shortfall == pytest.approx(1.8)
    cpu = rows["server CPU per request c=32, mock vs bare stub"]  # stub ÷ mock, by round
    assert cpu.kind == "engine" and cpu.met is False
    assert cpu.ratio == pytest.approx(44 / 66)
    assert (cpu.spread.low, cpu.spread.high) == pytest.approx((40 / 60, 0.8))
    assert rows["throughput c=32"].spread is None  # WireMock has no rounds here: medians
    assert "0.67× (0.67–0.80×)" in report.markdown_table(list(rows.values()))
    as_json = json.loads(json.dumps([row.as_dict() for row in rows.values()]))
    cpu_row = next(r for r in as_json if r["figure"] == cpu.figure)
    assert cpu_row["spread"] == {"median": cpu.ratio, "low": 40 / 60, "high": 0.8,
                                 "used": 3, "rounds": 3}  # fmt: skip


def test_a_ratio_stands_on_the_quiet_rounds_when_there_are_any(report: ModuleType) -> None:
    # Round 2 had a core's worth of foreign load on the mock's run: it is left out.
    mock = with_rounds(server(0.3, 40, 3_000, 50), "32", [
        {"rps": 5_000, "foreign_cores": 0.0},
        {"rps": 1_000, "foreign_cores": 1.0},
        {"rps": 6_000, "foreign_cores": 0.1},
    ])  # fmt: skip
    stub = with_rounds(server(0.2, 40, 9_000, 20), "32", [
        {"rps": 10_000, "foreign_cores": 0.0},
        {"rps": 10_000, "foreign_cores": 0.0},
        {"rps": 10_000, "foreign_cores": 0.2},
    ])  # fmt: skip
    assert report.paired(mock, stub, "32", "rps") == report.Paired(0.55, 0.5, 0.6, 2, 3)
    rows = {row.figure: row for row in report.build_rows(mock, stub, None, None)}
    cell = report.markdown_table([rows["throughput c=32, mock vs bare stub"]])
    assert "0.55× (0.50–0.60×; 2 of 3 rounds, the quiet ones)" in cell
    for run in mock["load"]["32"]["rounds"]:
        run["foreign_cores"] = 2.0  # no quiet round at all: every round counts
    assert report.paired(mock, stub, "32", "rps").used == 3
