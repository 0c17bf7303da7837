"""``juhe-contract check`` on the live path: against a stand-in that plays live
(tests/helpers/standin.py), and against a plain ``juhe-mock`` on its defaults."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from contract.conformance.cli import main
from contract.numbers import random_digest

from ...helpers.paths import BIN, ROOT
from ...helpers.served import ServedMock
from ...helpers.standin import ODD_KEY, StandIn, spellings


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.subprocess
def test_a_plain_juhe_mock_on_its_defaults_conforms(tmp_path: Path) -> None:
    # The first thing a new user tries: the wrong-key probe does not apply to a mock that
    # says it accepts every key, instead of drifting.
    report = tmp_path / "report.json"
    env = {**os.environ, "JUHE_KEY": "any-key-at-all"}
    env.pop("JUHE_CANARIES", None)
    with ServedMock() as served:
        done = subprocess.run(
            [str(BIN / "juhe-contract"), "check", "--base-url", served.url, "--budget", "3",
             "--strict", "--report", str(report)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not applicable (the target accepts every key)" in done.stdout
    assert "target: juhe-mock by its /__admin/health" in done.stdout
    data = json.loads(report.read_text("utf-8"))
    assert data["identity"]["mock"] is True and data["identity"]["accepts_any_key"] is True
    (moot,) = [p for p in data["probes"] if p["verdict"] == "not applicable"]
    assert moot["key"] == "wrong"


def test_a_stand_in_is_live_and_its_budget_holds(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.lenient = True  # bills the keyed malformed probes too
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "1",
                           "--key", stand_in.key)  # fmt: skip
    assert "target: its /__admin/health does not say juhe-mock: live" in out
    assert stand_in.billed == 1  # six keyed probes with a bad mobile, a budget of 1
    assert status == 1  # billing a malformed mobile is drift
    assert "expected 234802, got 0 (a success, billed)" in out


def test_budget_zero_sends_nothing_with_the_key_to_a_stand_in(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "0",
                           "--key", stand_in.key)  # fmt: skip
    assert status == 0, out
    assert stand_in.calls and all(c.key != stand_in.key for c in stand_in.calls)


def test_an_echoed_key_is_in_no_output_and_no_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    with StandIn(key=ODD_KEY) as stand_in:
        stand_in.refuse_key = True
        status, out, err = check(
            capsys, "--base-url", stand_in.url, "--budget", "3", "--key", ODD_KEY,
            "--report", str(report), "--junit", str(junit),
        )  # fmt: skip
        assert sum(1 for c in stand_in.calls if c.key == ODD_KEY) >= 6
    assert status == 1
    texts = {"stdout": out, "stderr": err, "report": report.read_text("utf-8"),
             "junit": junit.read_text("utf-8")}  # fmt: skip
    for name, text in texts.items():
        for spelling in spellings(ODD_KEY):
            assert spelling not in text, f"the key ({spelling!r}) is in {name}"
    probes = json.loads(texts["report"])["probes"]
    warned = [w for p in probes for w in p.get("warnings", [])]
    assert any("[key-echo]" in w for w in warned)  # the echo itself is reported


def test_plan_sends_nothing_and_says_what_it_would_cost(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--base-url", stand_in.url, "--key", stand_in.key, "--plan")
    status, out, _ = check(capsys, *base, "--budget", "0")
    assert status == 1  # the random hash needs a unit
    assert stand_in.calls == []
    assert "juhe plan for " in out and "nothing was sent" in out
    for row in ("no key", "wrong key before bad mobile", "63 hex", "random hash"):
        assert row in out
    assert "requests: 11 (1 billable, 6 reserving" in out
    assert "needs a budget of at least 1; budget: 0" in out
    status, out, _ = check(capsys, *base, "--budget", "1")
    assert (status, "plan: fits the budget" in out) == (0, True)
    assert stand_in.calls == []


def test_plan_warns_that_plain_http_would_carry_the_key_in_clear(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A plan sends nothing, so a documentation address is safe to name here.
    status, _, err = check(capsys, "--base-url", "http://203.0.113.7", "--key", "k",
                           "--budget", "1", "--plan")  # fmt: skip
    assert status == 0
    assert "warning: the API key is sent to 203.0.113.7 over plain http://" in err


def test_the_seed_gives_the_random_hash_back(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "1",
                           "--key", stand_in.key, "--seed", "5")  # fmt: skip
    assert status == 0, out
    assert "seed: 5" in out
    assert random_digest(5, 0) in stand_in.mobiles()


def test_a_ledger_caps_spend_across_runs_and_tools(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.json"
    args = ("--base-url", stand_in.url, "--key", stand_in.key, "--budget", "5",
            "--ledger", str(ledger), "--day-cap", "1")  # fmt: skip
    check(capsys, *args)
    status, out, _ = check(capsys, *args)
    assert stand_in.billed == 1
    assert "not sent (ledger's day cap 1 used up)" in out
    assert status == 0
    plan_status, plan, _ = check(capsys, *args, "--plan")
    assert plan_status == 1 and "0 left today (cap 1, 1 spent)" in plan


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("not json", "$"),
        ('{"format": "juhe-ledger/1", "caps": {"day": -1}, "days": {}}', "$.caps.day"),
        ('{"format": "other"}', "$.format"),
        ('{"format": "juhe-ledger/1", "caps": {}, "days": {"2026-13": {}}}', "$.days.2026-13"),
    ],
)
def test_a_bad_ledger_file_exits_2_naming_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, field: str
) -> None:
    ledger = tmp_path / "ledger.json"
    ledger.write_text(content, encoding="utf-8")
    status, _, err = check(capsys, "--base-url", "http://127.0.0.1:9", "--budget", "0",
                           "--ledger", str(ledger))  # fmt: skip
    assert status == 2
    assert f"{ledger}: {field}:" in err
