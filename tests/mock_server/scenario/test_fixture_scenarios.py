"""Each shipped scenario (mock_server/scenario/named/) does what its header says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml

from contract import PATH, magic_number
from mock_server import MockServer

from ...helpers.answers import check_body, fetch, query
from ...helpers.paths import SCENARIOS

PHONE = "13812345678"


def _serve(name: str) -> MockServer:
    return MockServer(scenarios=SCENARIOS / f"{name}.yaml")


def test_every_fixture_has_a_test() -> None:
    tested = {
        "flaky-network", "quota-exhausted", "trial-key", "maintenance", "expired-key",
        "no-record-by-default", "slow-vendor", "chaos",
    }  # fmt: skip
    assert {p.stem for p in SCENARIOS.glob("*.yaml")} == tested


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_same_document_by_file_python_and_admin_api(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    in_force = []
    with MockServer(scenarios=path) as mock:
        in_force.append(requests.get(mock.url + "/__admin/scenarios", timeout=10).json())
    with MockServer() as mock:
        mock.configure(doc)
        in_force.append(requests.get(mock.url + "/__admin/scenarios", timeout=10).json())
        put = requests.put(mock.url + "/__admin/scenarios", json=doc, timeout=10)
        assert put.status_code == 200, put.text
        in_force.append(requests.get(mock.url + "/__admin/scenarios", timeout=10).json())
    assert in_force[0] == in_force[1] == in_force[2]
    assert in_force[0]["description"] == doc["description"]


def test_flaky_network_fails_four_times_then_recovers() -> None:
    with _serve("flaky-network") as mock:
        url = mock.url + PATH
        assert fetch(mock, query(PHONE))["error_code"] == 234801
        with pytest.raises(requests.ConnectionError):
            requests.get(url, params=query(PHONE), timeout=10)
        assert requests.get(url, params=query(PHONE), timeout=10).status_code == 502
        assert fetch(mock, query(PHONE))["error_code"] == 234801
        assert fetch(mock, query(PHONE))["error_code"] == 0
        assert mock.usage["billable"] == 1


def test_quota_exhausted_answers_10012() -> None:
    with _serve("quota-exhausted") as mock:
        assert fetch(mock, query(PHONE))["error_code"] == 10012
        assert fetch(mock, query(magic_number("234803")))["error_code"] == 234803
        assert mock.usage["billable"] == 0


def test_trial_key_gets_three_then_10013() -> None:
    with _serve("trial-key") as mock:
        codes = [fetch(mock, query(PHONE, key="trial-key"))["error_code"] for _ in range(4)]
        assert codes == [0, 0, 0, 10013]
        assert fetch(mock, query(PHONE, key="paid"))["error_code"] == 0


def test_maintenance_answers_10020() -> None:
    with _serve("maintenance") as mock:
        assert fetch(mock, query(magic_number("1")))["error_code"] == 10020


def test_expired_key_answers_10003_and_banned_10009() -> None:
    with _serve("expired-key") as mock:
        assert fetch(mock, query(PHONE, key="expired-key"))["error_code"] == 10003
        assert fetch(mock, query(PHONE, key="banned-key"))["error_code"] == 10009
        assert fetch(mock, query(PHONE, key="other"))["error_code"] == 0


def test_no_record_by_default_answers_234803() -> None:
    with _serve("no-record-by-default") as mock:
        assert fetch(mock, query(PHONE))["error_code"] == 234803
        assert fetch(mock, query(magic_number("5")))["result"]["code"] == "5"


def test_slow_vendor_delays_each_answer() -> None:
    with _serve("slow-vendor") as mock:
        fetch(mock, query(PHONE))
        assert mock.requests[-1]["latency_ms"] >= 200
        assert mock.requests[-1]["rule"] is None  # latency only: the default answered


def test_chaos_is_a_seeded_mix(tmp_path: Path) -> None:
    runs = []
    for _ in range(2):
        with _serve("chaos") as mock:
            url = mock.url + PATH
            seen: list[str] = []
            for _ in range(60):
                try:
                    response = requests.get(url, params=query(PHONE), timeout=10)
                except requests.ConnectionError:
                    seen.append("drop")
                    continue
                if response.status_code != 200:
                    seen.append(str(response.status_code))
                    continue
                try:
                    body = response.json()
                except ValueError:
                    seen.append("broken-json")
                    continue
                check_body(body)
                seen.append(str(body["error_code"]))
            runs.append(seen)
    assert runs[0] == runs[1]
    kinds = Counter(runs[0])
    assert kinds["0"] > 30
    assert len(kinds) >= 3
