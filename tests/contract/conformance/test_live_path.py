"""The pytest plugin's live path, against a stand-in that plays live (tests/helpers/standin.py): it
bills every well-formed keyed call, echoes the key and does not say it is juhe-mock.

Each test runs pytest in a subprocess, as a team's nightly would, and judges it by what
the stand-in saw (its own count of billed calls) and by every output and file the run made.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contract import CUCC_PREFIXES, mobile_sha256
from contract.numbers import is_phone_number

from ...helpers.paths import SUITE
from ...helpers.processes import run_pytest
from ...helpers.standin import ODD_KEY, StandIn, spellings

pytestmark = pytest.mark.subprocess


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "test_sample.py"
    path.write_text(source, encoding="utf-8")
    return path


ECHOING_TESTS = """
import logging
import sys

from hypothesis import HealthCheck, given, settings, strategies as st


def test_prints_logs_and_fails_with_the_echo(juhe_target):
    answer = juhe_target.ask(mobile="a" * 64)
    body = answer.content.decode()
    print("stdout:", body)
    print("stderr:", body, file=sys.stderr)
    logging.getLogger("sample").warning("log: %s", body)
    echoed = answer.body["result"]
    assert answer.error_code == 0, f"message: {body}"


def test_passes_but_printed_it(juhe_target):
    print("passed:", juhe_target.ask(mobile="b" * 64).content.decode())


@settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
@given(n=st.just(1))
def test_hypothesis_reports_it(juhe_target, n):
    echoed = juhe_target.ask(mobile="c" * 64).body["reason"]
    assert echoed == "", echoed
"""


def test_an_echoed_key_reaches_no_output_and_no_file(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with StandIn(key=ODD_KEY) as stand_in:
        stand_in.refuse_key = True  # the key's calls answer 10001, the key in result and reason
        done = run_pytest(
            str(_write(tmp_path, ECHOING_TESTS)), str(SUITE), "--juhe-target", stand_in.url,
            "--juhe-budget", "30", "--juhe-examples", "2", "-rA", "-l", "--tb=long",
            "--junitxml", str(junit), "-o", "junit_logging=all",
            cwd=tmp_path, env={"JUHE_KEY": ODD_KEY},
        )  # fmt: skip
        echoed = sum(1 for c in stand_in.calls if c.key == ODD_KEY)
    assert done.returncode == 1, done.stdout  # the refused key fails the suite, as it should
    assert echoed >= 4  # the planted tests and the first example of each property
    xml = junit.read_text(encoding="utf-8")
    outputs = {"stdout": done.stdout, "stderr": done.stderr, "junit": xml}
    for name, text in outputs.items():
        for spelling in spellings(ODD_KEY):
            assert spelling not in text, f"the key ({spelling!r}) is in the run's {name}"
    # What was scrubbed is still there to read, with the key replaced.
    assert "<key>" in done.stdout and "&lt;key&gt;" in xml
    for shown in ("stdout: ", "stderr: ", "log: ", "message: ", "passed: ", "echoed = "):
        assert shown in done.stdout, shown
    assert re.search("Falsifying example|Failing test case", done.stdout)  # Hypothesis spoke


def test_a_target_is_live_until_it_says_it_is_juhe_mock(stand_in: StandIn, tmp_path: Path) -> None:
    source = "def test_billable(juhe_target):\n    juhe_target.ask(mobile='a' * 64)\n"
    done = run_pytest(
        str(_write(tmp_path, source)), "--juhe-target", stand_in.url, cwd=tmp_path,
        env={"JUHE_KEY": stand_in.key},
    )  # fmt: skip
    assert done.returncode == 1
    assert "spend budget exhausted: budget 0" in done.stdout  # live: budget 0 by default
    assert f"calls to the live target at {stand_in.url}" in done.stdout
    assert stand_in.billed == 0 and stand_in.calls == []
    localhost = stand_in.url.replace("127.0.0.1", "localhost")
    again = run_pytest(str(_write(tmp_path, source)), "--juhe-target", localhost, cwd=tmp_path)
    assert again.returncode == 4  # live, and no key: a usage error before anything is sent
    assert "needs --juhe-key or JUHE_KEY (it is treated as live" in again.stderr


def test_a_keyed_call_with_a_malformed_mobile_reserves_a_unit(
    stand_in: StandIn, tmp_path: Path
) -> None:
    stand_in.lenient = True  # bills every keyed call, malformed mobile or not
    done = run_pytest(
        str(SUITE), "-k", "invalid_mobiles or missing_mobile", "--juhe-target", stand_in.url,
        "--juhe-budget", "1", cwd=tmp_path, env={"JUHE_KEY": stand_in.key},
    )  # fmt: skip
    assert stand_in.billed == 1, stand_in.calls  # six such calls billed against 1 before
    assert done.returncode == 1
    assert "spend budget exhausted: budget 1" in done.stdout


BILLABLE_TESTS = "\n".join(
    f"def test_billable_{n}(juhe_target):\n    juhe_target.ask(mobile='{n}' * 64)\n"
    for n in range(6)
)


def test_xdist_workers_share_one_budget_and_print_one_summary(
    stand_in: StandIn, tmp_path: Path
) -> None:
    done = run_pytest(
        str(_write(tmp_path, BILLABLE_TESTS)), "-n", "2", "--juhe-target", stand_in.url,
        "--juhe-budget", "1", cwd=tmp_path, env={"JUHE_KEY": stand_in.key},
    )  # fmt: skip
    assert stand_in.billed == 1, done.stdout  # two workers billed two before
    summaries = [line for line in done.stdout.splitlines() if " calls to the " in line]
    assert len(summaries) == 1, done.stdout
    assert "6 calls" not in summaries[0]
    assert "1 billed, 1 of budget 1 spent, 5 refused by the budget" in summaries[0]
    assert "5 failed, 1 passed" in done.stdout


def test_a_failing_example_replayed_costs_nothing_and_reports_the_drift(
    stand_in: StandIn, tmp_path: Path
) -> None:
    stand_in.body = {"reason": "成功", "result": {"code": "6", "orderid": "J201901141703399055"},
                     "error_code": 0}  # billed, and code 6 is no tenure code  # fmt: skip
    done = run_pytest(
        str(SUITE), "-k", "valid_hashes", "--juhe-target", stand_in.url, "--juhe-budget", "1",
        cwd=tmp_path, env={"JUHE_KEY": stand_in.key},
    )  # fmt: skip
    assert done.returncode == 1
    assert "the answer breaks the contract" in done.stdout and "[enum]" in done.stdout
    assert "spend budget exhausted" not in done.stdout  # Hypothesis's replay was not refused
    assert len(stand_in.calls) == 1 and stand_in.billed == 1
    assert "1 answered from the run's record" in done.stdout


def test_live_inputs_look_up_nobody_and_a_seed_gives_them_back(
    stand_in: StandIn, tmp_path: Path
) -> None:
    def run(seed: str) -> list[str]:
        stand_in.calls.clear()
        done = run_pytest(
            str(SUITE), "-k", "valid_hashes or invalid_mobiles or missing_or_empty",
            "--juhe-target", stand_in.url, "--juhe-budget", "20", "--juhe-seed", seed,
            cwd=tmp_path, env={"JUHE_KEY": stand_in.key},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout
        assert f"seed {seed} (--juhe-seed {seed} gives the same inputs)" in done.stdout
        return stand_in.mobiles()

    first, again, other = run("7"), run("7"), run("8")
    assert first == again  # the printed seed reproduces the run's inputs
    assert first != other
    plain = {mobile_sha256(p + d * 8) for p in CUCC_PREFIXES for d in "0123456789"}
    for mobile in first + other:
        assert not is_phone_number(mobile), "a number was sent to a live target"
        assert mobile not in plain, "the hash of a number was sent to a live target"


def test_plan_sends_nothing_and_fails_when_over_budget(stand_in: StandIn, tmp_path: Path) -> None:
    args = (str(SUITE), "--juhe-target", stand_in.url, "--juhe-plan")
    over = run_pytest(*args, cwd=tmp_path, env={"JUHE_KEY": stand_in.key})
    assert over.returncode == 1, over.stdout
    assert stand_in.calls == []  # nothing was sent, not even a health request
    assert f"juhe plan for {stand_in.url}: nothing was sent" in over.stdout
    assert "test_valid_hashes_answer_a_success_or_no_record" in over.stdout
    match = re.search(r"needs a budget of at least (\d+); budget: 0", over.stdout)
    assert match and int(match.group(1)) >= 3
    assert "plan: OVER BUDGET" in over.stdout
    fits = run_pytest(*args, "--juhe-budget", match.group(1), cwd=tmp_path,
                      env={"JUHE_KEY": stand_in.key})  # fmt: skip
    assert fits.returncode == 0, fits.stdout
    assert "plan: fits the budget" in fits.stdout
    assert stand_in.calls == []


@pytest.mark.parametrize("caps", [["--juhe-day-cap", "2"], ["--juhe-month-cap", "2"]])
def test_a_ledger_caps_spend_across_runs(
    stand_in: StandIn, tmp_path: Path, caps: list[str]
) -> None:
    ledger = tmp_path / "ledger.json"
    sample = str(_write(tmp_path, BILLABLE_TESTS))
    for _ in range(2):  # a re-run, or the nightly's second step
        run_pytest(sample, "--juhe-target", stand_in.url, "--juhe-budget", "5",
                   "--juhe-ledger", str(ledger), *caps, cwd=tmp_path,
                   env={"JUHE_KEY": stand_in.key})  # fmt: skip
    assert stand_in.billed == 2
    data = json.loads(ledger.read_text(encoding="utf-8"))
    (day,) = data["days"].values()
    assert (day["billed"], day["pending"], day["refused"]) == (2, 0, 10)
