"""``juhe-contract check``: conform 0, drift 1, usage 2; the budget kept; no key in any output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from contract import MAGIC_NUMBERS, key_fingerprint
from contract.conformance.cli import main
from mock_server import MockServer

from ...helpers.paths import BIN, ROOT, SAMPLE_CANARIES, STAND_IN, SUITE_KEY
from ...helpers.served import ServedMock

SECRET = "s3cr3t-KEY/with+odd&chars"
ALLOW_SECRET = {"keys": {"allow": [SECRET]}}
PHONES = list(MAGIC_NUMBERS)


@pytest.fixture
def stand_in() -> Iterator[MockServer]:
    """The mock as the live API behaves: one valid key (the secret one)."""
    with MockServer(ALLOW_SECRET) as mock:
        yield mock


def check(
    capsys: pytest.CaptureFixture[str], *args: str, key: str | None = SECRET
) -> tuple[int, str, str]:
    argv = ["check", *args] + (["--key", key] if key is not None else [])
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _assert_clean(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert "s3cr3t" not in text
        for phone in PHONES:
            assert phone not in text


@pytest.mark.parametrize("budget", [0, 1, 3, 20])
def test_conforming_mock_exits_0_within_budget(
    stand_in: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, budget: int
) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    status, out, err = check(
        capsys, "--base-url", stand_in.url, "--budget", str(budget), "--strict",
        "--canaries", str(SAMPLE_CANARIES), "--report", str(report), "--junit", str(junit),
    )  # fmt: skip
    assert status == 0, out + err
    billable = stand_in.usage["billable"]
    assert billable <= budget
    data = json.loads(report.read_text("utf-8"))
    assert data["verdict"] == "conform"
    assert data["budget"]["spent"] == billable
    sent_billable = [p for p in data["probes"] if p["key"] == "given" and p.get("billed")]
    assert len(sent_billable) == billable
    not_sent = [p for p in data["probes"] if p["verdict"] == "not sent"]
    assert all("budget" in p["not_sent"] for p in not_sent)
    keyed = [p for p in data["probes"] if p["key"] == "given"]
    if budget == 0:  # every probe that carries the key needs a unit, even a free one
        assert billable == 0
        assert not_sent == keyed
        assert len(keyed) == 7 + len(json.loads(SAMPLE_CANARIES.read_text())["canaries"])
    if budget == 20:
        assert not not_sent  # everything was sent: 7 billable probes, 6 billed ones
    assert f"billed calls spent: {billable} of budget {budget}" in out
    assert "codes seen:" in out and "codes never seen:" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert suite.get("skipped") == str(len(not_sent))
    _assert_clean(out, err, report.read_text("utf-8"), junit.read_text("utf-8"))


def test_budget_zero_sends_nothing_that_carries_the_key(
    stand_in: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "0", "--strict")
    assert status == 0
    assert out.count(" conform") == 4  # no key, an empty key, no key first, a wrong key
    assert "not sent (budget 0 used up)" in out
    assert stand_in.usage["billable"] == 0
    fingerprint = key_fingerprint(SECRET)
    assert stand_in.requests and all(e["key"] != fingerprint for e in stand_in.requests)


def test_budget_one_sends_the_keyed_free_probes_one_after_another(
    stand_in: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "1", "--strict")
    assert status == 0, out
    keyed = [e for e in stand_in.requests if e["key"] == key_fingerprint(SECRET)]
    assert len(keyed) == 7  # six malformed mobiles, each unit given back, then one billable
    assert stand_in.usage["billable"] == 1


def test_without_a_key_only_keyless_probes_are_sent(
    stand_in: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUHE_KEY", raising=False)
    status, out, _ = check(capsys, "--base-url", stand_in.url, "--budget", "5", key=None)
    assert status == 0
    assert "not sent (no key given)" in out
    assert stand_in.usage["billable"] == 0


def test_key_from_the_environment(
    stand_in: MockServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUHE_KEY", SECRET)
    status, out, err = check(capsys, "--base-url", stand_in.url, "--budget", "1", key=None)
    assert status == 0, out
    assert stand_in.usage["billable"] == 1
    _assert_clean(out, err)


NO_ERROR_CODE = {"reason": "错误的请求KEY", "result": None}
DRIFT = [
    ("success code 6", {"fault": "raw", "json": {"reason": "成功", "result": {
        "code": "6", "orderid": "J201901141703399055"}, "error_code": 0}}, "[enum]"),
    ("no error_code", {"fault": "raw", "json": NO_ERROR_CODE}, "[required]"),
    ("text/html", {"fault": "raw", "content_type": "text/html", "text": json.dumps(
        {"reason": "参数错误:x", "result": None, "error_code": 234802})}, "[content-type]"),
    ("unknown code", {"fault": "raw", "json": {"reason": "x", "result": None,
                                               "error_code": 234899}}, "[known-code]"),
    ("html 502", {"fault": "status", "status": 502}, "[http-status]"),
    ("error_code string", {"fault": "raw", "json": {"reason": "参数错误:x", "result": None,
                                                    "error_code": "234802"}}, "[type]"),
    ("wrong code", {"error": 234801}, "[expected-code]"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "outcome", "rule"), DRIFT, ids=[d[0] for d in DRIFT])
def test_drift_exits_1_naming_the_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, what: str, outcome: Any, rule: str
) -> None:
    broken = {**ALLOW_SECRET, "rules": [{"when": {"key": SECRET}, "then": outcome}]}
    report = tmp_path / "r.json"
    junit = tmp_path / "j.xml"
    with MockServer(broken) as mock:
        status, out, err = check(
            capsys, "--base-url", mock.url, "--budget", "2",
            "--report", str(report), "--junit", str(junit),
        )  # fmt: skip
        assert mock.usage["billable"] <= 2
    assert status == 1, out
    assert rule in out
    assert "verdict: DRIFT" in out
    data = json.loads(report.read_text("utf-8"))
    assert data["verdict"] == "drift"
    drifted = [p for p in data["probes"] if p["verdict"] == "drift"]
    assert drifted and all(p["key"] == "given" for p in drifted)  # keyless probes still conform
    assert any(rule in problem for p in drifted for problem in p["problems"])
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures") or 0) == len(drifted)
    _assert_clean(out, err, report.read_text("utf-8"), junit.read_text("utf-8"))


def _lower_escapes(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), text)


ECHOES = [
    ("lower-case-percent", _lower_escapes(quote(SECRET, safe=""))),
    ("json-slash", SECRET.replace("/", "\\/")),  # PHP's json_encode escapes "/"
    ("json-u", "".join(f"\\u{ord(c):04x}" for c in SECRET)),
]


@pytest.mark.parametrize("spelling", [e[1] for e in ECHOES], ids=[e[0] for e in ECHOES])
def test_a_key_the_server_echoes_is_scrubbed_in_every_spelling(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, spelling: str
) -> None:
    # A drifting answer is shown raw in the report; a server echoing the key, in whatever
    # spelling, must not put it there (contract.scrub_key).
    body = '{"reason":"bad key: ' + spelling + '","result":null,"error_code":10001}'
    echo = {"fault": "raw", "content_type": "application/json", "text": body}
    report = tmp_path / "r.json"
    with MockServer({**ALLOW_SECRET, "rules": [{"when": {"key": SECRET}, "then": echo}]}) as mock:
        status, out, err = check(capsys, "--base-url", mock.url, "--budget", "1",
                                 "--report", str(report))  # fmt: skip
    assert status == 1
    text = report.read_text("utf-8")
    shown = [p["answer"] for p in json.loads(text)["probes"] if "answer" in p]
    assert shown and all("bad key: <key>" in answer for answer in shown)
    assert spelling not in text
    _assert_clean(out, err, text)


def test_unreachable_server_is_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    with MockServer() as mock:
        url = mock.url  # the port is free again once it stops
    status, out, _ = check(capsys, "--base-url", url, "--budget", "0", "--timeout", "2")
    assert status == 1
    assert "no answer" in out


def test_a_server_billing_a_keyless_call_is_seen(capsys: pytest.CaptureFixture[str]) -> None:
    # Not possible with juhe-mock (no key is always 10001); a raw rule fakes such a server.
    success = {"reason": "成功", "result": {"code": "3", "orderid": "J201901141703399055"},
               "error_code": 0}  # fmt: skip
    # An allow-list, so that the wrong-key probe applies: the rule bills it anyway.
    billing = {"keys": {"allow": ["x"]}, "rules": [{"then": {"fault": "raw", "json": success}}]}
    with MockServer(billing) as mock:
        status, out, _ = check(capsys, "--base-url", mock.url, "--budget", "0")
    assert status == 1
    assert "expected 10001, got 0 (a success, billed)" in out
    assert "unknown to the catalogue" not in out  # 0 is the success code, not an unknown one


USAGE = [
    ([], "required"),
    (["check", "--budget", "1"], "--base-url"),
    (["check", "--base-url", "http://127.0.0.1:9"], "--budget"),
    (["check", "--base-url", "http://127.0.0.1:9", "--budget", "-1"], "negative"),
    (["check", "--base-url", "http://127.0.0.1:9", "--budget", "many"], "whole number"),
    (["check", "--base-url", "ftp://x", "--budget", "1"], "not an http(s) URL"),
    (["check", "--base-url", "http://127.0.0.1:9", "--budget", "1", "--timeout", "0"], "timeout"),
]


@pytest.mark.parametrize(("argv", "said"), USAGE)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        status = int(exc.code or 0)
    assert status == 2
    assert said in capsys.readouterr().err


def test_bad_canaries_file_exits_2_naming_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "canaries.json"
    bad.write_text(json.dumps({"canaries": [{"name": "x", "mobile_sha256": "13000000003",
                                             "expect": {"error_code": 0}}]}), "utf-8")  # fmt: skip
    status, _, err = check(
        capsys, "--base-url", "http://127.0.0.1:9", "--budget", "1", "--canaries", str(bad)
    )
    assert status == 2
    assert f"{bad}: $.canaries[0].mobile_sha256:" in err
    assert "13000000003" not in err


def test_bad_canaries_env_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JUHE_CANARIES", str(tmp_path / "absent.json"))
    status, _, err = check(capsys, "--base-url", "http://127.0.0.1:9", "--budget", "1")
    assert status == 2
    assert "absent.json: $: no such file" in err


@pytest.mark.subprocess
def test_console_script_against_juhe_mock_process(tmp_path: Path) -> None:
    env = {**os.environ, "JUHE_KEY": SUITE_KEY}
    env.pop("JUHE_CANARIES", None)
    report = tmp_path / "report.json"
    with ServedMock("--scenarios", str(STAND_IN)) as served:
        done = subprocess.run(
            [str(BIN / "juhe-contract"), "check", "--base-url", served.url, "--budget", "3",
             "--canaries", str(SAMPLE_CANARIES), "--strict", "--report", str(report)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        billable = served.usage["billable"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert 1 <= billable <= 3
    assert json.loads(report.read_text("utf-8"))["budget"]["spent"] == billable
    for text in (done.stdout, done.stderr, report.read_text("utf-8")):
        assert SUITE_KEY not in text
