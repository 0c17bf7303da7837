"""Replay: a recorded hash answers as recorded, in its place in the engine's order."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256, validate
from contract.conformance.recorder import Recorder
from mock_server import ConfigError, MockServer
from mock_server.scenario.document import compile_file

KEY = "replay-run-key"
OLDER = (b'{"resultcode":"200","reason":"Return Successd!","result":{"code":"4",'
         b'"orderid":"JH8182608291315056S5wX"},"error_code":0}')  # fmt: skip
NONE = '{"reason":"查询无此记录","result":null,"error_code":234803}'.encode()


def digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def record(path: Path, *answers: tuple[str, int, str, bytes], key: str = KEY) -> Path:
    recorder = Recorder(path, source="pytest", key=KEY)
    for mobile, status, content_type, content in answers:
        recorder.record(method="POST", key=key, mobile=mobile, status=status,
                        content_type=content_type, content=content)  # fmt: skip
    recorder.close()
    return path


def post(mock: MockServer, mobile: str, key: str = "any", **extra: str) -> requests.Response:
    return requests.post(mock.url + PATH, data={"key": key, "mobile": mobile, **extra}, timeout=10)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return record(
        tmp_path / "live.jsonl",
        (digest("older"), 200, "application/json", OLDER),
        (digest("none"), 200, "application/json;charset=utf-8", NONE),
        (digest("page"), 502, "text/html", b"<html>bad gateway</html>"),
    )


def test_a_recorded_hash_answers_byte_for_byte(recording: Path) -> None:
    with MockServer(replay=recording) as mock:
        older, none, page = (post(mock, digest(n)) for n in ("older", "none", "page"))
        usage, journal = mock.usage, mock.requests
    assert (older.status_code, older.headers["Content-Type"], older.content) == (
        200, "application/json", OLDER)  # fmt: skip
    assert none.content == NONE and validate(none.json(), strict=False) == []
    assert (page.status_code, page.content) == (502, b"<html>bad gateway</html>")
    assert usage == {"billable": 1, "by_key": {journal[0]["key"]: 1}, "by_code": {"4": 1}}
    assert [(e["step"], e["outcome"]["error_code"], e["billable"]) for e in journal] == [
        ("replay", 0, True), ("replay", 234803, False), ("replay", None, False),
    ]  # fmt: skip


def test_other_hashes_follow_the_scenario(recording: Path) -> None:
    scenario = {"default": {"answer": "no_record"}}
    with MockServer(scenario, replay=recording) as mock:
        other = post(mock, digest("never seen"))
    assert other.json()["error_code"] == 234803 and validate(other.json()) == []


def test_rules_and_the_platform_come_before_replay(recording: Path) -> None:
    scenario: dict[str, Any] = {
        "keys": {"allow": ["good"], "quota": 1},
        "rules": [{"when": {"mobile": digest("none")}, "then": {"error": 234801}}],
    }
    with MockServer(scenario, replay=recording) as mock:
        ruled = post(mock, digest("none"), key="good")
        refused = post(mock, digest("older"), key="bad")
        first, second = post(mock, digest("older"), key="good"), post(mock, digest("older"), "good")
    assert ruled.json()["error_code"] == 234801  # a rule decides first
    assert refused.json()["error_code"] == 10001  # the key allow-list too
    assert first.content == OLDER
    assert second.json()["error_code"] == 10012  # a replayed success takes a quota unit
    assert validate(second.json()) == []


def test_replay_comes_before_magic_numbers(tmp_path: Path) -> None:
    magic = mobile_sha256(magic_number(234801))
    path = record(tmp_path / "magic.jsonl", (magic, 200, "application/json", OLDER))
    with MockServer(replay=path) as mock:
        assert post(mock, magic).content == OLDER


def test_a_jsonp_callback_wraps_a_replayed_answer(recording: Path) -> None:
    with MockServer(replay=recording) as mock:
        wrapped = post(mock, digest("older"), callback="cb")
    assert wrapped.content == b"cb(" + OLDER + b")"
    assert wrapped.headers["Content-Type"].startswith("text/javascript")


def test_only_answers_to_the_runs_own_key_replay_and_the_last_wins(tmp_path: Path) -> None:
    mobile = digest("twice")
    path = record(tmp_path / "two.jsonl", (mobile, 200, "application/json", OLDER),
                  (mobile, 200, "application/json", NONE))  # fmt: skip
    record(path, (digest("wrong"), 200, "application/json", NONE), key="another-key")
    with MockServer(replay=path) as mock:
        assert post(mock, mobile).content == NONE
        assert post(mock, digest("wrong")).json()["error_code"] == 0  # not replayed


def test_a_scenario_names_recordings_relative_to_its_folder(
    recording: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenarios" / "live.yaml"
    scenario.parent.mkdir()
    scenario.write_text("replay:\n  - ../live.jsonl\n", encoding="utf-8")
    with MockServer(scenario) as mock:
        assert post(mock, digest("older")).content == OLDER
        shown = requests.get(mock.url + "/__admin/scenarios", timeout=10).json()
    assert shown["replay"] == ["../live.jsonl"]


def test_a_recording_that_holds_a_key_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    record(bad, (digest("x"), 200, "application/json", NONE))
    line = json.loads(bad.read_text("utf-8"))
    line["body"] = '{"reason":"0123456789abcdef0123456789abcdef","error_code":10001}'
    bad.write_text(bad.read_text("utf-8") + json.dumps(line) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"replay": ["bad.jsonl"]}), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        compile_file(scenario)
    message = str(refused.value)
    assert message.startswith(f"{scenario}: $.replay[0]: {bad}, line 2: $.body: ")
    assert "looks like an API key" in message and "0123456789abcdef" not in message
    missing = tmp_path / "m.json"
    missing.write_text(json.dumps({"replay": ["nowhere.jsonl"]}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\$\.replay\[0\]: .*nowhere\.jsonl: \$: no such file"):
        compile_file(missing)


@pytest.mark.subprocess
def test_juhe_mock_replay_serves_and_refuses_a_bad_file(recording: Path, tmp_path: Path) -> None:
    from ..helpers.served import ServedMock

    with ServedMock("--replay", str(recording)) as served:
        answer = requests.post(served.url + PATH, data={"key": "k", "mobile": digest("older")},
                               timeout=10)  # fmt: skip
    assert answer.content == OLDER
    planted = tmp_path / "planted.jsonl"
    planted.write_text(recording.read_text("utf-8") + '{"v":1,"body":"13812345678"}\n',
                       encoding="utf-8")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "--port", "0", "--replay", str(planted)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"--replay: $.replay[0]: {planted}, line 4: $.body: " in done.stderr
    assert "13812345678" not in done.stderr
