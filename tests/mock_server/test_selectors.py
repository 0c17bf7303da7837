"""Every rule selector, and the counters that make rules stateful (sequence, times, odds)."""

from __future__ import annotations

from typing import Any

import pytest

from contract import mobile_sha256
from mock_server import MockServer
from mock_server.testing import JuheMock

from ..helpers.answers import Served, fetch, query

PHONE = "13812345678"
FORCED = {"error": 234804}


def _code(mock: Served, params: dict[str, str], **kwargs: Any) -> int:
    return int(fetch(mock, params, **kwargs)["error_code"])


def _rule(when: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"rules": [{"when": when, "then": FORCED, **extra}]}


def test_key_selector_matches_only_listed_keys(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"key": ["k1", "k2"]}))
    assert _code(juhe_mock, query(PHONE, key="k2")) == 234804
    assert _code(juhe_mock, query(PHONE, key="k3")) == 0


@pytest.mark.parametrize("spelling", [PHONE, "+86 138-1234-5678", mobile_sha256(PHONE).upper()])
def test_mobile_selector_takes_a_number_or_its_hash(juhe_mock: JuheMock, spelling: str) -> None:
    juhe_mock.scenario(_rule({"mobile": spelling}))
    assert _code(juhe_mock, query(PHONE)) == 234804
    assert _code(juhe_mock, query("13812345679")) == 0


def test_ip_selector_matches_address_and_network(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"ip": "127.0.0.0/8"}))
    assert _code(juhe_mock, query(PHONE)) == 234804
    juhe_mock.scenario(_rule({"ip": ["10.0.0.1", "192.168.0.0/16"]}))
    assert _code(juhe_mock, query(PHONE)) == 0


def test_method_selector_tells_get_from_post(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"method": "POST"}))
    assert _code(juhe_mock, query(PHONE), method="POST") == 234804
    assert _code(juhe_mock, query(PHONE)) == 0


def test_header_selector_needs_every_header(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"header": {"X-Test-Case": "quota", "X-Env": "ci"}}))
    both = {"X-Test-Case": "quota", "X-Env": "ci"}
    assert _code(juhe_mock, query(PHONE), headers=both) == 234804
    assert _code(juhe_mock, query(PHONE), headers={"X-Test-Case": "quota"}) == 0


def test_window_selector_applies_only_inside_the_window(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"window": {"start": "2000-01-01", "end": "2999-01-01"}}))
    assert _code(juhe_mock, query(PHONE)) == 234804
    juhe_mock.scenario(_rule({"window": {"start": "2000-01-01T00:00", "end": "2000-01-02T00:00"}}))
    assert _code(juhe_mock, query(PHONE)) == 0


def test_daily_window_selector_wraps_midnight(juhe_mock: JuheMock) -> None:
    # 00:00:00-23:59:59 covers every moment but the last second of the day.
    juhe_mock.scenario(_rule({"window": {"daily_start": "00:00", "daily_end": "23:59:59"}}))
    import datetime as dt

    from contract.clock import BEIJING

    now = dt.datetime.now(BEIJING)
    expected = 0 if (now.hour, now.minute, now.second) == (23, 59, 59) else 234804
    assert _code(juhe_mock, query(PHONE)) == expected


def test_sequence_gives_nth_outcome_then_falls_through(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(
        {"rules": [{"sequence": [{"error": 234801}, {"error": 234801}, {"tenure": "2"}]}]}
    )
    codes = [fetch(juhe_mock, query(PHONE)) for _ in range(4)]
    assert [b["error_code"] for b in codes] == [234801, 234801, 0, 0]
    assert codes[2]["result"]["code"] == "2"


def test_sequence_with_empty_step_lets_that_call_through(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"sequence": [{}, {"error": 10014}], "cycle": True}]})
    assert [_code(juhe_mock, query(PHONE)) for _ in range(4)] == [0, 10014, 0, 10014]


def test_times_applies_n_times_then_falls_through(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(_rule({"key": "t"}, times=2))
    assert [_code(juhe_mock, query(PHONE, key="t")) for _ in range(3)] == [234804, 234804, 0]


def test_probability_is_seeded_and_repeatable() -> None:
    doc = {"seed": 5, "rules": [{"probability": 0.5, "then": FORCED}]}
    runs = []
    for _ in range(2):
        with MockServer(scenarios=doc) as mock:
            runs.append([_code(mock, query(PHONE)) for _ in range(40)])
    assert runs[0] == runs[1]
    assert 5 < runs[0].count(234804) < 35


@pytest.mark.parametrize(("probability", "expected"), [(0.0, 0), (1.0, 234804)])
def test_probability_extremes_never_and_always(
    juhe_mock: JuheMock, probability: float, expected: int
) -> None:
    juhe_mock.scenario({"rules": [{"probability": probability, "then": FORCED}]})
    assert {_code(juhe_mock, query(PHONE)) for _ in range(10)} == {expected}


def test_first_matching_rule_wins(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario(
        {"rules": [{"when": {"key": "a"}, "then": {"error": 10001}}, {"then": {"error": 10009}}]}
    )
    assert _code(juhe_mock, query(PHONE, key="a")) == 10001
    assert _code(juhe_mock, query(PHONE, key="b")) == 10009


def test_missing_key_is_judged_before_rules(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"then": {"tenure": "1"}}]})
    assert _code(juhe_mock, {"mobile": "not-a-hash"}) == 10001


def test_add_rule_keeps_counters_of_earlier_rules(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"when": {"key": "s"}, "sequence": [{"error": 234801}]}]})
    assert _code(juhe_mock, query(PHONE, key="s")) == 234801
    juhe_mock.add_rule({"when": {"key": "x"}, "then": FORCED})
    assert _code(juhe_mock, query(PHONE, key="s")) == 0  # the sequence is used up
    assert _code(juhe_mock, query(PHONE, key="x")) == 234804
