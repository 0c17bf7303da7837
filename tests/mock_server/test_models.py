"""The stateful platform models: keys, quotas, rates, IPs, maintenance, internal errors."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH, key_fingerprint, magic_number, mobile_sha256
from contract.clock import BEIJING
from mock_server import MockServer, create_app
from mock_server.testing import JuheMock

from ..helpers.answers import Served, check_body, fetch, query
from ..helpers.threads import flat, on_threads

PHONE = magic_number("4")


def _code(mock: Served, key: str = "k", phone: str = PHONE) -> int:
    return int(fetch(mock, query(phone, key=key))["error_code"])


def test_allow_list_refuses_other_keys(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"allow": ["good"]}})
    assert _code(juhe_mock, "good") == 0
    assert _code(juhe_mock, "bad") == 10001


@pytest.mark.parametrize("code", [10002, 10003, 10004, 10005, 10009, 10021])
def test_per_key_state_answers_its_code(juhe_mock: JuheMock, code: int) -> None:
    juhe_mock.scenario({"keys": {"per_key": {"odd": {"error": code}}}})
    assert _code(juhe_mock, "odd") == code
    assert _code(juhe_mock, "fine") == 0


@pytest.mark.parametrize(("expires", "expected"), [("2001-01-01", 10003), ("2999-01-01", 0)])
def test_key_expiry_date(juhe_mock: JuheMock, expires: str, expected: int) -> None:
    juhe_mock.scenario({"keys": {"per_key": {"k": {"expires": expires}}}})
    assert _code(juhe_mock, "k") == expected


def test_quota_counts_successes_then_10012(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"per_key": {"k": {"quota": 2}}}})
    codes = [_code(juhe_mock, "k", magic_number(c)) for c in ["1", "234801", "2", "3", "5"]]
    assert codes == [0, 234801, 0, 10012, 10012]
    assert juhe_mock.usage["billable"] == 2
    assert _code(juhe_mock, "other") == 0  # a quota is per key


def test_default_quota_applies_to_every_key(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"quota": 1}})
    assert [_code(juhe_mock, "a"), _code(juhe_mock, "a"), _code(juhe_mock, "b")] == [0, 10012, 0]


def test_trial_key_quota_answers_10013(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"per_key": {"t": {"trial": True, "quota": 1}}}})
    assert [_code(juhe_mock, "t"), _code(juhe_mock, "t")] == [0, 10013]


def test_quota_is_exact_under_8_concurrent_threads(juhe_mock: JuheMock) -> None:
    limit = 37
    juhe_mock.scenario({"keys": {"per_key": {"shared": {"quota": limit}}}})

    def worker(_: int) -> list[dict[str, Any]]:
        return [fetch(juhe_mock, query(PHONE, key="shared")) for _ in range(12)]

    bodies = flat(on_threads(8, worker))
    seen = Counter(body["error_code"] for body in bodies)
    assert seen == {0: limit, 10012: 8 * 12 - limit}
    # The ledger bills exactly what the clients saw as successes, and no orderid repeats.
    assert juhe_mock.usage["billable"] == seen[0]
    assert juhe_mock.usage["by_key"] == {juhe_mock.requests[-1]["key"]: limit}
    orderids = [body["result"]["orderid"] for body in bodies if body["error_code"] == 0]
    assert len(set(orderids)) == len(orderids) == limit


def test_per_ip_rate_limit_answers_10011(juhe_mock: JuheMock) -> None:
    # A window of ten minutes: the test cannot straddle two windows by accident... unless it
    # starts in the window's last moments, so allow the count to restart once.
    juhe_mock.scenario({"ips": {"rate": {"limit": 3, "window_s": 600}}})
    codes = [_code(juhe_mock) for _ in range(5)]
    assert codes.count(10011) >= 1
    assert codes[:3] == [0, 0, 0]


def test_banned_ip_answers_10008(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"ips": {"banned": ["127.0.0.1"]}})
    assert _code(juhe_mock) == 10008


def test_unknown_source_answers_10007(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"ips": {"sources": ["10.0.0.0/8"]}})
    assert _code(juhe_mock) == 10007
    juhe_mock.scenario({"ips": {"sources": ["127.0.0.0/8"]}})
    assert _code(juhe_mock) == 0


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"start": "2000-01-01", "end": "2999-01-01"}, 10020),
        ({"start": "2000-01-01", "end": "2000-01-02"}, 0),
    ],
)
def test_maintenance_window_answers_10020(
    juhe_mock: JuheMock, window: dict[str, Any], expected: int
) -> None:
    juhe_mock.scenario({"maintenance": [window]})
    assert _code(juhe_mock) == expected


def test_internal_errors_are_seeded(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"seed": 3, "internal_errors": 0.3})
    first = [_code(juhe_mock) for _ in range(30)]
    juhe_mock.reset()
    juhe_mock.scenario({"seed": 3, "internal_errors": 0.3})
    assert [_code(juhe_mock) for _ in range(30)] == first
    assert set(first) == {0, 10014}


ALWAYS = {"start": "2000-01-01", "end": "2999-01-01"}
# (id, document, key, mobile, the code that wins): each pair of models that both refuse the
# call, the earlier in the documented order first.
ORDER: list[tuple[str, dict[str, Any], str, str, int]] = [
    ("banned-before-source", {"ips": {"banned": ["127.0.0.1"], "sources": ["10.0.0.0/8"]}},
     "k", PHONE, 10008),
    ("source-before-rate", {"ips": {"sources": ["10.0.0.0/8"], "rate": {"limit": 0}}},
     "k", PHONE, 10007),
    ("rate-before-allow-list", {"ips": {"rate": {"limit": 0}}, "keys": {"allow": ["good"]}},
     "bad", PHONE, 10011),
    ("allow-list-before-key-state",
     {"keys": {"allow": ["good"], "per_key": {"bad": {"error": 10002}}}}, "bad", PHONE, 10001),
    ("key-state-before-maintenance",
     {"keys": {"per_key": {"k": {"error": 10021}}}, "maintenance": [ALWAYS]}, "k", PHONE, 10021),
    ("expiry-before-maintenance",
     {"keys": {"per_key": {"k": {"expires": "2001-01-01"}}}, "maintenance": [ALWAYS]},
     "k", PHONE, 10003),
    ("maintenance-before-mobile", {"maintenance": [ALWAYS]}, "k", "13812345678", 10020),
    ("mobile-before-internal-errors", {"internal_errors": 1}, "k", "13812345678", 234802),
    ("internal-errors-before-magic", {"internal_errors": 1}, "k", PHONE, 10014),
]  # fmt: skip


@pytest.mark.parametrize(
    ("doc", "key", "phone", "code"), [o[1:] for o in ORDER], ids=[o[0] for o in ORDER]
)
def test_models_are_judged_in_the_documented_order(
    juhe_mock: JuheMock, doc: dict[str, Any], key: str, phone: str, code: int
) -> None:
    juhe_mock.scenario(doc)
    # A plaintext number stands for a malformed mobile (sent as is, not hashed).
    mobile = mobile_sha256(phone) if phone == PHONE else phone
    assert fetch(juhe_mock, {"key": key, "mobile": mobile})["error_code"] == code


def test_rate_limit_is_exact_per_window_and_per_ip() -> None:
    now = [1_000_000.0]  # the start of a 10 s window
    app = create_app({"scenarios": [{"ips": {"rate": {"limit": 3, "window_s": 10}}}],
                      "clock": lambda: now[0]})  # fmt: skip
    client = app.test_client()

    def code(ip: str = "10.0.0.1") -> int:
        response = client.get(PATH, query_string=query(PHONE), environ_base={"REMOTE_ADDR": ip})
        body = response.get_json()
        check_body(body)
        return int(body["error_code"])

    assert [code() for _ in range(5)] == [0, 0, 0, 10011, 10011]
    assert code("10.0.0.2") == 0  # each IP has its own count
    now[0] += 9.9
    assert code() == 10011  # still the same window
    now[0] += 0.1
    assert [code() for _ in range(4)] == [0, 0, 0, 10011]  # a new window


# (id, scenario file, key, the codes of three calls): every stateful model, from a file.
FROM_FILE: list[tuple[str, str, str, list[int]]] = [
    ("allow-list", "keys: {allow: [good]}", "bad", [10001] * 3),
    ("no-permission", "keys: {per_key: {k: {error: 10002}}}", "k", [10002] * 3),
    ("expired", "keys: {per_key: {k: {error: 10003}}}", "k", [10003] * 3),
    ("expired-by-date", "keys: {per_key: {k: {expires: 2020-06-01}}}", "k", [10003] * 3),
    ("unreviewed", "keys: {per_key: {k: {error: 10005}}}", "k", [10005] * 3),
    ("banned-key", "keys: {per_key: {k: {error: 10009}}}", "k", [10009] * 3),
    ("disabled", "keys: {per_key: {k: {error: 10021}}}", "k", [10021] * 3),
    ("quota", "keys: {per_key: {k: {quota: 2}}}", "k", [0, 0, 10012]),
    ("trial-quota", "keys: {per_key: {k: {quota: 1, trial: true}}}", "k", [0, 10013, 10013]),
    ("ip-rate", "ips: {rate: {limit: 1, window_s: 600}}", "k", [0, 10011, 10011]),
    ("banned-ip", "ips: {banned: [127.0.0.0/8]}", "k", [10008] * 3),
    ("unknown-source", "ips: {sources: [192.0.2.0/24]}", "k", [10007] * 3),
    ("maintenance", "maintenance: [{start: 2000-01-01, end: 2999-01-01}]", "k", [10020] * 3),
    ("internal-errors", "internal_errors: 1", "k", [10014] * 3),
]


@pytest.mark.parametrize(
    ("text", "key", "codes"), [f[1:] for f in FROM_FILE], ids=[f[0] for f in FROM_FILE]
)
def test_stateful_model_from_a_scenario_file(
    tmp_path: Path, text: str, key: str, codes: list[int]
) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(f"version: 1\n{text}\n", encoding="utf-8")
    with MockServer(scenarios=path) as mock:
        seen = [_code(mock, key) for _ in codes]
    if text.startswith("ips: {rate") and seen != codes:
        # A 600 s window: at most one boundary falls between the calls, and it starts the
        # count afresh there.
        assert seen in ([0, 0, 10011], [0, 10011, 0]), seen
    else:
        assert seen == codes


def test_platform_is_judged_before_mobile(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"allow": ["good"]}})
    body = fetch(juhe_mock, {"key": "bad", "mobile": "nonsense"})
    assert body["error_code"] == 10001


def test_reset_clears_quota_journal_and_ledger(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"quota": 1}})
    assert [_code(juhe_mock), _code(juhe_mock)] == [0, 10012]
    juhe_mock.reset()
    assert juhe_mock.requests == []
    assert juhe_mock.usage == {"billable": 0, "by_key": {}, "by_code": {}}
    juhe_mock.scenario({"keys": {"quota": 1}})
    assert _code(juhe_mock) == 0


def test_keys_sharing_a_fingerprint_keep_their_own_quota() -> None:
    """The display fingerprint is 32 bits; state is keyed by the key's whole digest."""
    one, two = "ck27509", "ck67359"
    assert key_fingerprint(one) == key_fingerprint(two)  # a real 32-bit collision
    with MockServer({"keys": {"quota": 1}}) as mock:
        digest = mobile_sha256(magic_number("3"))
        first = requests.get(mock.url + PATH, params={"key": one, "mobile": digest}, timeout=10)
        other = requests.get(mock.url + PATH, params={"key": two, "mobile": digest}, timeout=10)
        again = requests.get(mock.url + PATH, params={"key": one, "mobile": digest}, timeout=10)
    bodies = [r.json() for r in (first, other, again)]
    for body in bodies:
        check_body(body)
    assert [body["error_code"] for body in bodies] == [0, 0, 10012]


def _clocked(document: dict[str, Any], now: list[float]) -> Any:
    app = create_app({"scenarios": [document], "clock": lambda: now[0]})
    client = app.test_client()

    def code(key: str = "k") -> int:
        body = client.get(PATH, query_string=query(PHONE, key=key)).get_json()
        check_body(body)
        return int(body["error_code"])

    return code


# 2026-11-28 23:59:59 and 2026-11-29 00:00:00, Beijing time (UTC+8).
BEIJING_LAST_SECOND = datetime(2026, 11, 28, 23, 59, 59, tzinfo=BEIJING).timestamp()


def test_daily_quota_resets_at_midnight_beijing_time() -> None:
    now = [BEIJING_LAST_SECOND - 3600]
    code = _clocked({"keys": {"quota": 2}}, now)
    assert [code(), code(), code()] == [0, 0, 10012]
    now[0] = BEIJING_LAST_SECOND
    assert code() == 10012  # still the same Beijing day (16:59 UTC)
    now[0] += 1
    assert [code(), code(), code()] == [0, 0, 10012]  # a new day: the quota starts afresh


def test_quota_window_is_configurable() -> None:
    now = [BEIJING_LAST_SECOND + 1]  # a window boundary for any divisor of a day
    code = _clocked({"keys": {"quota": 1, "quota_window_s": 3600}}, now)
    assert [code(), code()] == [0, 10012]
    now[0] += 3599
    assert code() == 10012
    now[0] += 1
    assert code() == 0  # the next hour


@pytest.mark.parametrize("key", [" ", "\t", "   \n", "\u3000"])
def test_a_key_of_only_whitespace_answers_10001(juhe_mock: JuheMock, key: str) -> None:
    assert _code(juhe_mock, key) == 10001
    assert juhe_mock.usage["billable"] == 0


def test_head_is_never_billed_and_takes_no_quota(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"keys": {"quota": 1}})
    for _ in range(3):
        head = requests.head(juhe_mock.url + PATH, params=query(PHONE), timeout=10)
        assert head.status_code == 200
    assert juhe_mock.usage["billable"] == 0
    assert [e["billable"] for e in juhe_mock.requests] == [False] * 3
    assert _code(juhe_mock) == 0  # the quota of 1 is still there for a GET
    assert juhe_mock.usage["billable"] == 1
