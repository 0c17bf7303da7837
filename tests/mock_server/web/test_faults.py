"""Every HTTP-level fault: status pages, latency, dropped connection, damaged JSON, drip.

Each runs on the in-process MockServer (the plugin's ``juhe_mock``) and on ``juhe-mock``
as a child process driven over the admin API: the faults must not depend on which.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from contract import PATH, magic_number
from mock_server import MockServer
from mock_server.testing import JuheMock

from ...helpers.answers import JSON_TYPE, check_body, fetch, query
from ...helpers.served import ServedMock

PHONE = magic_number("3")
Served = JuheMock | ServedMock


@pytest.fixture(scope="module")
def served_mock() -> Iterator[ServedMock]:
    with ServedMock("--server", "granian", "--seed", "0") as served:
        yield served


@pytest.fixture(params=["in-process", pytest.param("served", marks=pytest.mark.subprocess)])
def mock(request: pytest.FixtureRequest) -> Served:
    """The plugin's ``juhe_mock`` or the module's ``juhe-mock`` process, reset for the test."""
    if request.param == "in-process":
        in_process: JuheMock = request.getfixturevalue("juhe_mock")
        return in_process
    served: ServedMock = request.getfixturevalue("served_mock")
    served.reset()
    return served


def _get(mock: Served, **params: str) -> requests.Response:
    return requests.get(mock.url + PATH, params=query(PHONE, **params), timeout=10)


def _fault(mock: Served, outcome: dict[str, Any]) -> None:
    mock.scenario({"rules": [{"then": outcome}]})


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 403])
def test_status_fault_sends_html_page(mock: Served, status: int) -> None:
    _fault(mock, {"fault": "status", "status": status})
    response = _get(mock)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} " in response.text
    assert mock.usage["billable"] == 0


def test_status_fault_with_empty_body(mock: Served) -> None:
    _fault(mock, {"fault": "status", "status": 503, "body": "empty"})
    response = _get(mock)
    assert response.status_code == 503
    assert response.content == b""


def test_fixed_latency_delays_then_answers(mock: Served) -> None:
    _fault(mock, {"latency": 0.2})
    body = fetch(mock.url, query(PHONE))
    assert body["result"]["code"] == "3"  # latency alone keeps the normal answer
    assert mock.requests[-1]["latency_ms"] >= 200


def test_stop_cuts_a_latency_short() -> None:
    # A rule may ask for 600 s; stop() must not leave the server (and its client) waiting:
    # it lets the answer wait for the drain timeout, then cuts the wait short.
    with MockServer({"rules": [{"then": {"latency": 600}}]}, drain_timeout=0.5) as mock:
        pool = ThreadPoolExecutor(1)
        answer = pool.submit(requests.get, mock.url + PATH, params=query(PHONE), timeout=60)
        deadline = time.monotonic() + 10
        while not mock.requests and time.monotonic() < deadline:  # decided: now it waits
            time.sleep(0.01)
        assert mock.requests, "the request never reached the mock"
        began = time.monotonic()
        mock.stop()
        stopped_in = time.monotonic() - began
        # Answered once the drain's time is up, or closed by the stop; not after 60 s.
        with contextlib.suppress(requests.RequestException):
            answer.result(timeout=10)
        pool.shutdown()
    assert stopped_in < 0.5 + 5  # the drain timeout plus a generous margin


def test_latency_range_is_drawn_inside_the_range(mock: Served) -> None:
    _fault(mock, {"latency": [0.05, 0.1], "error": 234801})
    for _ in range(3):
        assert fetch(mock.url, query(PHONE))["error_code"] == 234801
        assert mock.requests[-1]["latency_ms"] >= 50


def test_drop_closes_connection_without_response(mock: Served) -> None:
    _fault(mock, {"fault": "drop"})
    with pytest.raises(requests.ConnectionError):
        _get(mock)
    assert mock.requests[-1]["outcome"]["fault"] == "drop"
    assert mock.usage["billable"] == 0
    # The server keeps serving afterwards.
    mock.scenario({})
    assert fetch(mock.url, query(PHONE))["error_code"] == 0


def test_truncated_fault_cuts_the_json(mock: Served) -> None:
    _fault(mock, {"fault": "truncated"})
    response = _get(mock)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_TYPE
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    mock.scenario({})
    whole = requests.get(mock.url + PATH, params=query(PHONE), timeout=10).content
    check_body(json.loads(whole))
    assert len(response.content) == len(whole) // 2
    assert whole.startswith(response.content)


def test_malformed_fault_is_not_json(mock: Served) -> None:
    _fault(mock, {"fault": "malformed", "error": 234801})
    response = _get(mock)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert response.content.endswith(b",}")


def test_damaged_success_is_still_billed(mock: Served) -> None:
    _fault(mock, {"fault": "truncated"})
    _get(mock)
    assert mock.usage["billable"] == 1


def test_drip_sends_whole_body_in_small_pieces(mock: Served) -> None:
    _fault(mock, {"fault": "drip", "chunk": 8, "interval": 0.02})
    host, port = mock.url.removeprefix("http://").split(":")
    request = (
        f"GET {PATH}?key=k&mobile={query(PHONE)['mobile']} HTTP/1.1\r\n"
        f"Host: {host}\r\nConnection: close\r\n\r\n"
    ).encode()
    pieces = []
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            pieces.append(chunk)
    raw = b"".join(pieces)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0]
    assert len(pieces) > 3  # it arrived in several reads, not in one
    parsed = json.loads(body)
    check_body(parsed)
    assert parsed["result"]["code"] == "3"


def test_later_answer_rule_overrides_earlier_damage(mock: Served) -> None:
    mock.scenario(
        {"rules": [{"then": {"fault": "truncated"}}, {"then": {"fault": "status", "status": 502}}]}
    )
    assert _get(mock).status_code == 502
