"""``juhe-contract learn``: what live said, summed up, and a scenario a maintainer reviews."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from contract import PATH
from contract.conformance.cli import main
from contract.conformance.recorder import Recorder
from contract.numbers import random_digest
from mock_server import MockServer

from ...helpers.paths import BIN, ROOT

KEY = "learn-run-key"
BODIES = [
    {"reason": "成功", "result": {"code": "5", "orderid": "J201901141703399055"}, "error_code": 0},
    {"resultcode": "200", "reason": "Return Successd!",
     "result": {"code": "4", "orderid": "JH8182608291315056S5wX"}, "error_code": 0},
    {"reason": "成功", "result": {"code": "5", "orderid": "J201901141703399056"}, "error_code": 0},
    {"reason": "查询无此记录", "result": None, "error_code": 234803},
    {"error_code": 10012, "reason": "当前可请求的次数不足", "result": None},
    {"error_code": 10012, "reason": "今天不行了", "result": None},
    {"error_code": 234899, "reason": "新的错误", "result": None},
]  # fmt: skip


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "records" / "live.jsonl"
    path.parent.mkdir()
    recorder = Recorder(path, source="juhe-contract", key=KEY)
    for i, body in enumerate(BODIES):
        recorder.record(method="POST", key=KEY, mobile=random_digest(3, i), status=200,
                        content_type="application/json", billed=body["error_code"] == 0,
                        content=json.dumps(body, ensure_ascii=False).encode())  # fmt: skip
    recorder.record(method="POST", key=KEY, mobile=random_digest(3, 99), status=502,
                    content_type="text/html", content=b"<html></html>")  # fmt: skip
    recorder.close()
    return path


def test_learn_sums_up_codes_reasons_and_shapes(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["learn", str(recording)]) == 0
    out = capsys.readouterr().out
    assert "8 answers" in out and "juhe-contract 8" in out and "3 billed" in out
    assert "HTTP 502 text/html" in out and "HTTP 200 application/json" in out
    assert "'当前可请求的次数不足': a known variant" in out
    assert "'今天不行了': other words" in out
    assert "'Return Successd!': other words" in out
    assert "234899 (unknown): 1" in out
    assert "tenure codes: 4 1, 5 2" in out
    assert "orderid forms: J9{18} 2, JA9{16}A9aA 1" in out
    assert "resultcode [resultcode-absent]" in out or "[resultcode-" in out
    assert "error_code [known-code]" in out
    assert "error_code 234899 is unknown to the catalogue (seen 1x)" in out
    assert "error_code 10012: reason '今天不行了' (1x) is not a known variant" in out


@pytest.mark.subprocess
def test_the_suggested_scenario_validates_and_speaks_lives_dialect(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scenarios" / "learned.yaml"
    out.parent.mkdir()
    assert main(["learn", str(recording), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text("utf-8")
    assert 'replay:\n  - "../records/live.jsonl"' in text
    assert '  weights:\n    "4": 1\n    "5": 2' in text
    assert "# catalogue changes to consider:" in text
    done = subprocess.run([str(BIN / "juhe-mock"), "validate", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with MockServer(out) as mock:
        replayed = requests.post(mock.url + PATH, data={"key": "k", "mobile": random_digest(3, 1)},
                                 timeout=10)  # fmt: skip
        other = requests.post(mock.url + PATH, data={"key": "k", "mobile": random_digest(4, 0)},
                              timeout=10).json()  # fmt: skip
    assert replayed.json() == BODIES[1]
    assert other["result"]["code"] in ("4", "5")  # live's share of tenure codes


def test_learn_refuses_a_recording_with_a_number_naming_the_line(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = recording.read_text("utf-8").splitlines()
    entry = json.loads(lines[2])
    entry["body"] = '{"reason":"13012345678"}'
    lines[2] = json.dumps(entry, ensure_ascii=False)
    recording.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["learn", str(recording), "-o", str(recording.parent / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{recording}, line 3: $.body: holds what looks like a plaintext mobile number" in err
    assert "13012345678" not in err and not (recording.parent / "x.yaml").exists()


def test_learn_says_when_it_cannot_write(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "out.yaml"
    assert main(["learn", str(recording), "-o", str(target)]) == 2
    assert f"{target}: cannot write it" in capsys.readouterr().err
