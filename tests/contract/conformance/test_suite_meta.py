"""The contract suite proves itself offline: it passes against ``juhe-mock`` run as a separate
process (the stand-in for live), fails naming the broken rule against mocks that break the
contract, and never spends more than ``--juhe-budget`` (the stand-in's own ledger says so).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ...helpers.paths import SAMPLE_CANARIES, STAND_IN, SUITE, SUITE_KEY
from ...helpers.processes import run_pytest
from ...helpers.served import ServedMock

pytestmark = pytest.mark.subprocess

#: Few examples per property: each run here is a whole pytest process.
EXAMPLES = "5"


def run_suite(url: str, *extra: str) -> tuple[int, str]:
    done = run_pytest(
        str(SUITE), "--juhe-target", url, "--juhe-key", SUITE_KEY,
        "--juhe-canaries", str(SAMPLE_CANARIES), "--juhe-examples", EXAMPLES, *extra,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_suite_passes_against_juhe_mock_at_a_url() -> None:
    with ServedMock("--scenarios", str(STAND_IN)) as served:
        status, output = run_suite(served.url, "--juhe-strict")
        billable = served.usage["billable"]
    assert status == 0, output
    assert "failed" not in output
    assert f"calls to the server at {served.url}" in output
    assert f"{billable} billed" in output  # the summary agrees with the stand-in's ledger


def _success(result: Any) -> dict[str, Any]:
    return {"reason": "成功", "result": result, "error_code": 0}


ORDERID = "J201901141703399055"
#: Each: a rule that breaks the contract for every call, and what the failure must name.
BROKEN = [
    ("code-6", {"fault": "raw", "json": _success({"code": "6", "orderid": ORDERID})},
     ["result.code", "[enum]"]),
    ("orderid-missing", {"fault": "raw", "json": _success({"code": "3"})},
     ["result.orderid", "[required]"]),
    ("error-code-string", {"fault": "raw", "json": {"reason": "参数错误:mobile不能为空",
                                                    "result": None, "error_code": "234802"}},
     ["error_code must be an integer", "[type]"]),
    ("html-502", {"fault": "status", "status": 502, "body": "html"},
     ["HTTP 502 instead of 200", "[http-status]"]),
    ("system-error-without-resultcode", {"fault": "raw", "json": {
        "reason": "错误的请求KEY", "result": None, "error_code": 10001}},
     ["resultcode is missing", "[required]"]),
    ("success-without-result", {"fault": "raw", "json": {"reason": "成功", "error_code": 0}},
     ["result is missing", "[required]"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "outcome", "named"), BROKEN, ids=[b[0] for b in BROKEN])
def test_suite_fails_against_a_broken_mock_naming_the_rule(
    tmp_path: Path, name: str, outcome: dict[str, Any], named: list[str]
) -> None:
    broken = tmp_path / f"{name}.json"
    document = {"rules": [{"name": name, "then": outcome}]}
    broken.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with ServedMock("--scenarios", str(STAND_IN), "--scenarios", str(broken)) as served:
        status, output = run_suite(served.url)
    assert status == 1, output
    assert "the answer breaks the contract" in output
    for text in named:
        assert text in output, f"the failure does not name {text!r}"


@pytest.mark.parametrize("budget", [0, 1, 5])
def test_suite_spends_at_most_its_budget(budget: int) -> None:
    with ServedMock("--scenarios", str(STAND_IN)) as served:
        status, output = run_suite(served.url, "--juhe-budget", str(budget))
        billable = served.usage["billable"]
    assert billable <= budget
    # The suite wants more than 5 billable calls: it fails closed, naming the budget.
    assert status == 1
    assert "spend budget exhausted" in output
    assert f"[--juhe-budget {budget}]" in output
    assert f"{billable} billed, {billable} of budget {budget} spent" in output
