"""The admin API under /__admin: each endpoint, the loopback guard, the token, bad input."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contract import magic_number
from mock_server import MockServer, create_app
from mock_server.testing import JuheMock

from ...helpers.answers import Served, check_body, fetch, query


def _admin(mock: Served, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, mock.url + "/__admin" + path, timeout=10, **kwargs)


def test_health_is_ok(juhe_mock: JuheMock) -> None:
    body = _admin(juhe_mock, "GET", "/health").json()
    assert body["status"] == "ok"
    assert body["rules"] == 0


def test_health_says_who_this_is_to_every_client() -> None:
    # How a conformance run tells our mock from a live target (contract.conformance.identify).
    client = create_app().test_client()
    remote = client.get("/__admin/health", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert remote.status_code == 200
    body = remote.get_json()
    assert body["server"] == "juhe-mock" and body["accepts_any_key"] is True
    assert isinstance(body["version"], str) and body["version"]
    allow = create_app({"scenarios": [{"keys": {"allow": ["k"]}}]}).test_client()
    assert allow.get("/__admin/health").get_json()["accepts_any_key"] is False


def test_requests_journal_newest_last_and_cleared(juhe_mock: JuheMock) -> None:
    fetch(juhe_mock, query(magic_number("1"), key="first"))
    fetch(juhe_mock, query(magic_number("234803"), key="second"))
    entries = _admin(juhe_mock, "GET", "/requests").json()["requests"]
    assert [e["outcome"]["error_code"] for e in entries] == [0, 234803]
    assert set(entries[0]) >= {"time", "method", "key", "mobile", "outcome", "latency_ms"}
    assert "first" not in str(entries)
    assert _admin(juhe_mock, "DELETE", "/requests").json() == {"cleared": True}
    assert _admin(juhe_mock, "GET", "/requests").json()["requests"] == []


def test_journal_is_a_bounded_ring() -> None:
    with MockServer(journal_size=3) as mock:
        for code in ["1", "2", "3", "4", "5"]:
            fetch(mock, query(magic_number(code)))
        assert [e["outcome"]["code"] for e in mock.requests] == ["3", "4", "5"]


def test_usage_counts_billable_by_key_and_code(juhe_mock: JuheMock) -> None:
    fetch(juhe_mock, query(magic_number("5"), key="a"))
    fetch(juhe_mock, query(magic_number("5"), key="b"))
    fetch(juhe_mock, query(magic_number("10012"), key="a"))
    usage = _admin(juhe_mock, "GET", "/usage").json()
    assert usage["billable"] == 2
    assert usage["by_code"] == {"5": 2}
    assert sorted(usage["by_key"].values()) == [1, 1]


def test_reset_returns_to_loaded_scenario() -> None:
    with MockServer(scenarios={"rules": [{"then": {"error": 10020}}]}) as mock:
        _admin(mock, "PUT", "/scenarios", json={"rules": []})
        assert fetch(mock, query(magic_number("1")))["error_code"] == 0
        assert _admin(mock, "POST", "/reset").json() == {"reset": True}
        assert fetch(mock, query(magic_number("1")))["error_code"] == 10020
        assert len(mock.requests) == 1


def test_scenarios_put_get_and_add_rule(juhe_mock: JuheMock) -> None:
    doc = {"rules": [{"name": "quota", "when": {"key": "q"}, "then": {"error": 10012}}]}
    assert _admin(juhe_mock, "PUT", "/scenarios", json=doc).json() == {"rules": 1}
    current = _admin(juhe_mock, "GET", "/scenarios").json()
    assert current["rules"] == doc["rules"]
    assert current["default"]["answer"] == "tenure"  # the built-in defaults underneath
    added = _admin(juhe_mock, "POST", "/scenarios/rules", json={"then": {"error": 10021}})
    assert added.status_code == 201
    assert added.json() == {"added": "rule-1", "rules": 2}
    assert fetch(juhe_mock, query(magic_number("1"), key="q"))["error_code"] == 10012
    assert fetch(juhe_mock, query(magic_number("1"), key="z"))["error_code"] == 10021


@pytest.mark.parametrize(
    ("method", "path", "payload", "needle"),
    [
        ("PUT", "/scenarios", b"not json", "JSON"),
        ("PUT", "/scenarios", b"[1, 2]", "JSON object"),
        ("PUT", "/scenarios", b'{"rules": [{"then": {"tenure": "7"}}]}', "$.rules[0].then.tenure"),
        ("PUT", "/scenarios", b'{"bogus": 1}', "bogus"),
        ("PUT", "/scenarios", b'{"ips": {"banned": ["not-an-ip"]}}', "$.ips.banned[0]"),
        ("POST", "/scenarios/rules", b'{"then": {"error": 1}}', "$.then.error"),
        ("POST", "/scenarios/rules", b'{"when": {"key": "k"}}', "$"),
        ("POST", "/scenarios/rules", b'{"then": {"latency": [2, 1]}}', "$.then.latency"),
        # Python's JSON parser reads NaN and Infinity; each made every API request a 500.
        ("PUT", "/scenarios", b'{"ips": {"rate": {"limit": 1, "window_s": NaN}}}', "finite"),
        ("POST", "/scenarios/rules", b'{"then": {"latency": Infinity}}', "$.then.latency"),
        ("PUT", "/scenarios", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("POST", "/scenarios/rules", b'{"then": ' + b"[" * 100_000, "nested too deeply"),
    ],
)
def test_bad_admin_input_is_400_with_message(
    juhe_mock: JuheMock, method: str, path: str, payload: bytes, needle: str
) -> None:
    response = _admin(
        juhe_mock, method, path, data=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert needle in response.json()["message"]
    # The scenario in force is untouched.
    assert _admin(juhe_mock, "GET", "/health").json()["rules"] == 0


def test_admin_reads_json_whatever_the_content_type(juhe_mock: JuheMock) -> None:
    # curl -d sends application/x-www-form-urlencoded unless told otherwise.
    response = _admin(juhe_mock, "POST", "/scenarios/rules", data=b'{"then": {"error": 10020}}')
    assert response.status_code == 201
    assert fetch(juhe_mock, query(magic_number("1")))["error_code"] == 10020


def test_bad_admin_input_leaves_the_api_answering(juhe_mock: JuheMock) -> None:
    bad = b'{"rules": [{"then": {"latency": NaN}}]}'
    assert _admin(juhe_mock, "PUT", "/scenarios", data=bad).status_code == 400
    assert fetch(juhe_mock, query(magic_number("2")))["result"]["code"] == "2"


def test_admin_refuses_non_loopback_clients() -> None:
    client = create_app().test_client()
    response = client.get("/__admin/usage", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403
    assert client.get("/__admin/usage").status_code == 200  # werkzeug's 127.0.0.1
    api = client.get(
        "/mobile_online_sha256_cucc/query",
        query_string=query(magic_number("2")),
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    check_body(api.get_json())  # the API itself answers everyone


def test_admin_token_is_required_when_set() -> None:
    client = create_app({"admin_token": "t0ken"}).test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/__admin/health", environ_base=remote).status_code == 401
    assert client.get("/__admin/health", headers={"X-Admin-Token": "wrong"}).status_code == 401
    ok = client.get(
        "/__admin/health", headers={"Authorization": "Bearer t0ken"}, environ_base=remote
    )
    assert ok.status_code == 200
    assert client.get("/__admin/usage", headers={"X-Admin-Token": "t0ken"}).status_code == 200
