"""Claims of the docs that can drift from the code, each held to the code or to the figures
it cites: the generated tables, every path the docs name, the benchmark figures in
docs/scaling.md, how juhe-mock stops (docs/mock-server.md), and the marker example."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH
from mock_server.serve import doctables

from ..helpers.paths import ROOT
from ..helpers.processes import run_pytest

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
EXE = Path(sys.executable).parent / "juhe-mock"


def _block(text: str, begin: str, end: str) -> str:
    return text[text.index(begin) + len(begin) : text.index(end)]


def test_the_options_table_is_the_parsers() -> None:
    text = (DOCS / "mock-server.md").read_text(encoding="utf-8")
    block = _block(text, doctables.OPTIONS_BEGIN, doctables.OPTIONS_END)
    assert block == "\n" + doctables.options_markdown(), "python -m mock_server.serve.doctables"
    assert "`--scenarios PATH`" in block and "`JUHE_MOCK_PORT`" in block


def test_the_shipped_scenarios_table_is_the_files() -> None:
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    block = _block(text, doctables.SCENARIOS_BEGIN, doctables.SCENARIOS_END)
    assert block == "\n" + doctables.scenarios_markdown(), "python -m mock_server.serve.doctables"
    assert "| `flaky-network` |" in block


_NAMED_PATH = re.compile(
    r"(?<![\w./-])((?:mock_server|contract|client|tests|bench|fixtures|deploy|docs|\.ci)/"
    r"[\w./*-]*[\w*/])"
)


def _named_paths() -> list[tuple[str, str]]:
    return [
        (page.name, match.group(1))
        for page in PAGES
        for match in _NAMED_PATH.finditer(page.read_text(encoding="utf-8"))
    ]


def test_every_path_the_docs_name_exists() -> None:
    missing = []
    for page, path in _named_paths():
        if "*" in path:
            found = any(ROOT.glob(path))
        else:
            # `contract/conformance/probe.standard_probes` names a module's attribute.
            module = path.rpartition(".")[0] + ".py"
            found = any(p.exists() for p in (ROOT / path, DOCS / path, ROOT / module))
        if not found:
            missing.append(f"{page}: {path}")
    assert len(_named_paths()) > 30
    assert missing == []


# --- docs/scaling.md's figures are the committed run's ------------------------------------


def _scale_table() -> tuple[dict[str, Any], list[list[str]]]:
    text = (DOCS / "scaling.md").read_text(encoding="utf-8")
    section = text[text.index("## What it costs") :]
    (linked,) = set(re.findall(r"\(\.\./(bench/results/scale-[\w-]+)\.md\)", section))
    run = json.loads((ROOT / f"{linked}.json").read_text(encoding="utf-8"))
    table = section[section.index("| server (N = 2)") :].split("\n\n")[0].splitlines()[2:]
    return run, [[cell.strip() for cell in line.strip("|").split("|")] for line in table]


ROWS = {  # the doc's words for each server of the run
    "one process (waitress), memory": "mock-1proc",
    "2 workers, memory": "mock-2w-memory",
    "2 workers, Redis": "mock-2w-redis",
    "one process (waitress), Redis": "mock-1proc-redis",
    "WireMock 3.13.2": "wiremock",
}


def test_scaling_cost_table_is_the_committed_run() -> None:
    run, table = _scale_table()
    rows = {row["server"]: row for row in run["rows"]}
    one, wiremock = rows["mock-1proc"]["rps"], rows["wiremock"]["rps"]
    assert [cells[0] for cells in table] == list(ROWS)
    for label, rps, p99, per_one, per_wiremock in table:
        row = rows[ROWS[label]]
        assert rps == f"{row['rps']:,.0f}", label
        assert p99 == f"{row['p99_ms']:.0f}", label
        assert float(per_one) == pytest.approx(row["rps"] / one, abs=0.01), label
        assert float(per_wiremock) == pytest.approx(row["rps"] / wiremock, abs=0.01), label


def test_the_one_process_figure_is_the_latest_run() -> None:
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text(encoding="utf-8"))
    (row,) = [r for r in latest["rows"] if r["figure"] == "throughput c=32"]
    figure = f"{row['mock']:,.0f} req/s at c=32"
    text = (DOCS / "scaling.md").read_text(encoding="utf-8")
    assert figure in text and "1-3k" not in text
    assert f"{row['mock']:,.0f} requests a second" in text


# --- docs/mock-server.md "Stopping" ---------------------------------------------------------


def _stop_with_a_slow_answer_in_flight(tmp_path: Path) -> tuple[int, Any]:
    slow = tmp_path / "slow.yaml"
    slow.write_text("rules:\n  - then: {latency: 5}\n", encoding="utf-8")
    process = subprocess.Popen(
        [str(EXE), "--port", "0", "--scenarios", str(slow)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip().removeprefix("juhe-mock serving on ")
    got: dict[str, Any] = {}

    def call() -> None:
        try:
            params = {"key": "stopping", "mobile": "a" * 64}
            got["answer"] = requests.get(url + PATH, params=params, timeout=20).status_code
        except requests.ConnectionError:
            got["answer"] = "connection closed"

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)  # the request is waiting out its 5 s
    process.send_signal(signal.SIGTERM)
    status = process.wait(timeout=10)  # liveness bound, above the 3 s drain timeout
    caller.join(timeout=20)
    process.stdout.close()
    return status, got.get("answer")


@pytest.mark.subprocess
def test_stopping_delivers_the_slow_answer_in_flight(tmp_path: Path) -> None:
    # As docs/mock-server.md says: change the page if this changes.
    assert _stop_with_a_slow_answer_in_flight(tmp_path) == (0, 200)


# --- the marker example of docs/scenarios.md passes under pytest ------------------------------


@pytest.mark.subprocess
def test_the_marker_example_passes(tmp_path: Path) -> None:
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    (example,) = [
        block
        for block in re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
        if "juhe_scenario" in block
    ]
    (tmp_path / "test_example.py").write_text(example, encoding="utf-8")
    done = run_pytest("-q", "test_example.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
