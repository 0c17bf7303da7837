"""The ``juhe`` pytest plugin, exercised by pytest runs in a subprocess (it loads by its
``pytest11`` entry point, as it would for any user who installs the package)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract import BASE_URL
from contract.conformance.identify import Identity
from contract.conformance.target import ConfigurableMock, TargetSpec
from mock_server.testing import JuheMock

from ..helpers.processes import run_pytest

MOCK_TESTS = """
import requests
from contract import PATH, magic_number, mobile_sha256, validate

HASH = mobile_sha256(magic_number("3"))


def test_configured_and_used(juhe_mock):
    juhe_mock.scenario({"rules": [{"when": {"key": "q"}, "then": {"error": 10012}}]})
    quota = requests.post(juhe_mock.url + PATH, data={"key": "q", "mobile": HASH}, timeout=5)
    assert quota.json()["error_code"] == 10012 and validate(quota.json()) == []
    ok = requests.post(juhe_mock.endpoint, data={"key": "k", "mobile": HASH}, timeout=5)
    assert ok.json()["result"]["code"] == "3" and validate(ok.json()) == []
    assert [e["outcome"]["error_code"] for e in juhe_mock.requests] == [10012, 0]
    assert juhe_mock.usage["billable"] == 1


def test_next_test_starts_afresh(juhe_mock):
    assert juhe_mock.requests == [] and juhe_mock.usage["billable"] == 0
    again = requests.post(juhe_mock.endpoint, data={"key": "q", "mobile": HASH}, timeout=5)
    assert again.json()["error_code"] == 0  # the scenario of the test before is gone


def test_target_defaults_to_the_mock(juhe_target, juhe_mock):
    assert juhe_target.kind == "mock" and juhe_target.strict and juhe_target.configurable
    assert juhe_target.base_url == juhe_mock.url
    answer = juhe_target.ask(mobile=HASH)
    assert answer.error_code == 0 and answer.billed is True
    assert juhe_target.ask(mobile="nope").error_code == 234802
    assert "juhe-contract-suite-key" not in repr(juhe_target)
"""


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "test_sample.py"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.subprocess
def test_mock_fixtures_reset_per_test_and_summary_counts_the_run(tmp_path: Path) -> None:
    done = run_pytest(str(_write(tmp_path, MOCK_TESTS)), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # 2 + 1 + 2 calls; billable: 1 + 1 + 1 successes.
    expected = (
        "juhe: 5 calls to the in-process mock, 3 billable: against the live API this run "
        "would have cost 3 billed calls (budget: no limit, 0 refused)"
    )
    assert expected in done.stdout


@pytest.mark.subprocess
def test_budget_refusal_fails_the_test_naming_the_budget(tmp_path: Path) -> None:
    source = """
from contract import magic_number, mobile_sha256

HASH = mobile_sha256(magic_number("3"))


def test_first_billable_call(juhe_target):
    assert juhe_target.ask(mobile=HASH).billed is True


def test_second_billable_call(juhe_target):
    juhe_target.ask(mobile=HASH)


def test_keyed_call_with_a_bad_mobile_needs_a_unit_too(juhe_target):
    juhe_target.ask(mobile="nope")  # a lenient host might bill it: it reserves


def test_calls_without_the_key_need_none(juhe_target):
    assert juhe_target.ask(mobile=HASH, no_key=True).error_code == 10001
    assert juhe_target.ask(mobile=HASH, key="another").billed is True  # not ours: free to us
"""
    done = run_pytest(str(_write(tmp_path, source)), "-q", "--juhe-budget", "1", cwd=tmp_path)
    assert done.returncode == 1
    assert "spend budget exhausted: budget 1 billable call(s)" in done.stdout
    assert "[--juhe-budget 1]" in done.stdout
    assert re.search(r"FAILED .*test_second_billable_call", done.stdout)
    assert re.search(r"FAILED .*test_keyed_call_with_a_bad_mobile_needs_a_unit_too", done.stdout)
    assert "2 failed, 2 passed" in done.stdout
    assert "2 refused" in done.stdout


@pytest.mark.subprocess
def test_live_defaults_to_budget_zero_and_sends_nothing_billable(tmp_path: Path) -> None:
    source = """
import pytest

def test_live(juhe_target):
    assert juhe_target.kind == "live" and juhe_target.strict is False
    assert juhe_target.budget.limit == 0 and not juhe_target.configurable
    juhe_target.ask(mobile="a" * 64)  # refused before anything is sent
"""
    done = run_pytest(
        str(_write(tmp_path, source)), "-q", "--juhe-target", "live",
        "--juhe-key", "not-a-real-key", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "spend budget exhausted: budget 0" in done.stdout
    assert f"juhe: 0 calls to the live API at {BASE_URL}, 0 billed" in done.stdout
    assert "not-a-real-key" not in done.stdout + done.stderr


@pytest.mark.subprocess
def test_unused_plugin_adds_no_summary_line(tmp_path: Path) -> None:
    done = run_pytest(str(_write(tmp_path, "def test_plain():\n    assert 1\n")), cwd=tmp_path)
    assert done.returncode == 0
    assert "juhe:" not in done.stdout


USAGE = [
    (["--juhe-target", "staging"], "--juhe-target: 'staging': use mock, live or an http(s) URL"),
    (["--juhe-target", "live"], "--juhe-target live needs --juhe-key or JUHE_KEY"),
    (["--juhe-budget", "-2"], "--juhe-budget: a budget cannot be negative"),
    (["--juhe-canaries", "absent.json"], "--juhe-canaries: absent.json: $: no such file"),
]


@pytest.mark.subprocess
@pytest.mark.parametrize(("args", "message"), USAGE, ids=[u[1][:30] for u in USAGE])
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    source = "def test_uses(juhe_canaries):\n    pass\n"
    done = run_pytest(str(_write(tmp_path, source)), *args, cwd=tmp_path)
    assert done.returncode in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.TESTS_FAILED)
    assert message in done.stdout + done.stderr


# A URL is live until it proves it is our mock: whatever its name.
TARGETS = [
    ("mock", "mock", None),
    ("live", "live", BASE_URL),
    ("http://127.0.0.1:8000/", "live", "http://127.0.0.1:8000"),
    ("https://apis.juhe.cn", "live", "https://apis.juhe.cn"),
    ("https://apis.juhe.cn.", "live", "https://apis.juhe.cn."),
    ("http://v.juhe.cn", "live", "http://v.juhe.cn"),
    ("http://203.0.113.7:3128", "live", "http://203.0.113.7:3128"),
]


@pytest.mark.parametrize(("text", "kind", "url"), TARGETS)
def test_target_spec_parses(text: str, kind: str, url: str | None) -> None:
    spec = TargetSpec.parse(text)
    assert (spec.kind, spec.base_url) == (kind, url)


def test_only_a_url_that_says_it_is_juhe_mock_becomes_kind_url() -> None:
    spec = TargetSpec.parse("http://127.0.0.1:8000")
    said = Identity(True, "juhe-mock by its /__admin/health", accepts_any_key=True)
    assert spec.identified(said).kind == "url"
    assert spec.identified(said).identity == said
    assert spec.identified(Identity(False, "no health answer: live")).kind == "live"
    assert TargetSpec.parse("mock").identified(Identity(False, "x")).kind == "mock"


def test_juhe_mock_is_the_configurable_mock_a_target_takes(juhe_mock: JuheMock) -> None:
    # The runner reaches the mock through this protocol, never through an import of mock_server.
    assert isinstance(juhe_mock, ConfigurableMock)
    assert not isinstance(object(), ConfigurableMock)
    rule = juhe_mock.add_rule({"when": {"key": "q"}, "then": {"error": 10012}})
    assert isinstance(rule, str) and juhe_mock.requests == [] and juhe_mock.usage["billable"] == 0
