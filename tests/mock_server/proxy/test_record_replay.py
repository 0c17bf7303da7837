"""Learn from live: what the proxy records, the mock replays byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests

from contract import PATH, validate
from contract.conformance.recording import read_recording
from mock_server import MockServer

from ...helpers.standin import STAND_IN_KEY, StandIn
from .conftest import ProxyFactory, ask

#: Live's dialect, one body per kind: an older product's success, a sister product's "no
#: record", a key error with no resultcode, an orderid of another form.
ODD = {
    "older": {"resultcode": "200", "reason": "Return Successd!",
              "result": {"code": "4", "orderid": "JH8182608291315056S5wX"}, "error_code": 0},
    "none": {"reason": "查询无此记录", "result": None, "error_code": 234803},
    "spaced": {"reason": "成功 ", "result": {"code": "5", "orderid": "J201907111432204621iH"},
               "error_code": 0},
}  # fmt: skip


def test_a_recording_made_through_the_proxy_replays_byte_for_byte(
    make_proxy: ProxyFactory, stand_in: StandIn, tmp_path: Path
) -> None:
    recording = tmp_path / "live.jsonl"
    hashes = {name: hashlib.sha256(name.encode()).hexdigest() for name in [*ODD, "plain"]}
    stand_in.answers = {hashes[name]: body for name, body in ODD.items()}
    with make_proxy(record=str(recording)) as proxy:
        live = {name: ask(proxy, digest) for name, digest in hashes.items()}
    entries = read_recording(recording, key=STAND_IN_KEY)
    assert [e["mobile"] for e in entries] == list(hashes.values())
    assert {e["source"] for e in entries} == {"juhe-mock-proxy"}
    assert {e["key_kind"] for e in entries} == {"given"}
    other = hashlib.sha256(b"never recorded").hexdigest()
    with MockServer(replay=recording) as mock:
        for _ in range(2):  # the orderid is not renewed: the same bytes every time
            for name, digest in hashes.items():
                again = requests.post(mock.url + PATH, data={"key": "k", "mobile": digest},
                                      timeout=10)  # fmt: skip
                assert again.status_code == live[name].status_code
                assert again.headers["Content-Type"] == live[name].headers["Content-Type"]
                assert again.content == live[name].content, name
                assert validate(again.json(), strict=False) == []
        fallback = requests.post(mock.url + PATH, data={"key": "k", "mobile": other}, timeout=10)
        usage, journal = mock.usage, mock.requests
    assert validate(fallback.json(), strict=True) == []  # the scenario's own answer
    assert {e["step"] for e in journal[:-1]} == {"replay"} and journal[-1]["step"] == "default"
    # the replayed successes (older, spaced, plain) are billable, twice each; 234803 is not
    assert usage["billable"] == 3 * 2 + 1


def test_an_upstream_fault_is_recorded_and_replayed_as_it_came(
    make_proxy: ProxyFactory, stand_in: StandIn, tmp_path: Path
) -> None:
    recording = tmp_path / "faults.jsonl"
    stand_in.status, stand_in.content_type, stand_in.body = 502, "text/html", "<html>bad</html>"
    digest = hashlib.sha256(b"fault").hexdigest()
    with make_proxy(record=str(recording)) as proxy:
        assert ask(proxy, digest).status_code == 502  # the proxy's gateway answer
    (entry,) = read_recording(recording)
    assert (entry["status"], entry["body"], entry["billed"]) == (502, "<html>bad</html>", None)
    with MockServer(replay=recording) as mock:
        again = requests.post(mock.url + PATH, data={"key": "k", "mobile": digest}, timeout=10)
        assert mock.usage["billable"] == 0
    assert (again.status_code, again.content) == (502, b"<html>bad</html>")  # what live said
