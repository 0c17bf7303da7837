"""Every outcome, reached both by magic number and by scenario (file and document)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from contract import ERROR_CODES, MAGIC_NUMBERS, TENURE_CODES, magic_number, mobile_sha256
from mock_server import MockServer
from mock_server.testing import JuheMock

from ..helpers.answers import fetch, query

ORDERID = re.compile(r"J[0-9]{14}[0-9]{4}")
ALL_CODES = [*TENURE_CODES, *ERROR_CODES]


def _expect(body: dict[str, object], code: str | int) -> None:
    if isinstance(code, str):
        assert body["error_code"] == 0
        result = body["result"]
        assert isinstance(result, dict)
        assert result["code"] == code
        assert ORDERID.fullmatch(str(result["orderid"]))
    else:
        assert body["error_code"] == code
        assert body["result"] is None


@pytest.mark.parametrize("code", ALL_CODES, ids=str)
def test_magic_number_answers_its_code(juhe_mock: JuheMock, code: str | int) -> None:
    _expect(fetch(juhe_mock, query(magic_number(code))), code)


@pytest.mark.parametrize("code", ALL_CODES, ids=str)
def test_magic_number_by_post_form_answers_its_code(juhe_mock: JuheMock, code: str | int) -> None:
    _expect(fetch(juhe_mock, query(magic_number(code)), method="POST"), code)


def test_magic_numbers_cover_every_code() -> None:
    assert {m.code for m in MAGIC_NUMBERS.values()} == set(ALL_CODES)


def test_upper_case_hash_is_accepted(juhe_mock: JuheMock) -> None:
    params = {"key": "k", "mobile": mobile_sha256("13000000004").upper()}
    _expect(fetch(juhe_mock, params), "4")


@pytest.mark.parametrize("code", ALL_CODES, ids=str)
def test_scenario_rule_answers_any_code(juhe_mock: JuheMock, code: str | int) -> None:
    then = {"tenure": code} if isinstance(code, str) else {"error": code}
    juhe_mock.scenario({"rules": [{"when": {"key": "forced"}, "then": then}]})
    _expect(fetch(juhe_mock, query("13812345678", key="forced")), code)
    # Another key still gets the default answer.
    assert fetch(juhe_mock, query("13812345678", key="other"))["error_code"] == 0


@pytest.mark.parametrize("code", ALL_CODES, ids=str)
def test_scenario_file_answers_any_code(tmp_path: Path, code: str | int) -> None:
    line = f'tenure: "{code}"' if isinstance(code, str) else f"error: {code}"
    path = tmp_path / "every.yaml"
    path.write_text(f"version: 1\nrules:\n  - then: {{{line}}}\n", encoding="utf-8")
    with MockServer(scenarios=path) as mock:
        _expect(fetch(mock, query("13812345678")), code)


def test_custom_reason_is_sent_verbatim(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"then": {"error": 10012, "reason": "超过每日可允许请求次数!"}}]})
    body = fetch(juhe_mock, query("13812345678"), reason="超过每日可允许请求次数!")
    assert body["reason"] == "超过每日可允许请求次数!"


def test_detail_follows_the_words(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"then": {"error": 234804, "detail": "运营商超时"}}]})
    assert fetch(juhe_mock, query("13812345678"))["reason"] == "查询失败:运营商超时"


def test_default_is_deterministic_across_servers() -> None:
    phones = [f"1860000{i:04d}" for i in range(30)]
    answers = []
    for _ in range(2):
        with MockServer(seed=11) as mock:
            answers.append([fetch(mock, query(p))["result"]["code"] for p in phones])
    assert answers[0] == answers[1]


def test_default_depends_on_seed() -> None:
    phones = [f"1860000{i:04d}" for i in range(40)]
    answers = []
    for seed in (1, 2):
        with MockServer(seed=seed) as mock:
            answers.append([fetch(mock, query(p))["result"]["code"] for p in phones])
    assert answers[0] != answers[1]


def test_no_record_by_default_answers_234803(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"default": {"answer": "no_record"}})
    assert fetch(juhe_mock, query("13812345678"))["error_code"] == 234803
    _expect(fetch(juhe_mock, query(magic_number("2"))), "2")


def test_only_successes_are_billed(juhe_mock: JuheMock) -> None:
    for code in ALL_CODES:
        fetch(juhe_mock, query(magic_number(code), key="billing"))
    usage = juhe_mock.usage
    assert usage["billable"] == len(TENURE_CODES)
    assert sum(usage["by_key"].values()) == len(TENURE_CODES)
    assert usage["by_code"] == dict.fromkeys(TENURE_CODES, 1)
    assert [e["billable"] for e in juhe_mock.requests].count(True) == len(TENURE_CODES)


def test_orderids_are_unique_under_concurrency(juhe_mock: JuheMock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int) -> str:
        return str(fetch(juhe_mock, query(magic_number("1")))["result"]["orderid"])

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(200)))
    assert len(set(ids)) == 200


def test_jsonp_callback_wraps_the_body(juhe_mock: JuheMock) -> None:
    import json

    url = juhe_mock.url + "/mobile_online_sha256_cucc/query"
    params = query(magic_number("3"), callback="jQuery123_cb")
    text = requests.get(url, params=params, timeout=10).content.decode("utf-8")
    match = re.fullmatch(r"jQuery123_cb\((.*)\)", text)
    assert match is not None
    from ..helpers.answers import check_body

    body = json.loads(match.group(1))
    check_body(body)
    assert body["result"]["code"] == "3"


def test_unsafe_jsonp_callback_is_ignored(juhe_mock: JuheMock) -> None:
    body = fetch(juhe_mock, query(magic_number("3"), callback="alert(1)//"))
    assert body["result"]["code"] == "3"
