"""Recordings: the format, a writer that never leaks, a reader that refuses what leaked, and
the tools that write them (``juhe-contract check --record``, ``pytest --juhe-record``)."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contract import key_fingerprint
from contract.conformance.cli import main
from contract.conformance.recorder import Recorder
from contract.conformance.recording import RecordingError, leak_in, read_recording, schema
from contract.numbers import random_digest

from ...helpers.processes import run_pytest
from ...helpers.standin import StandIn

KEY = "0123456789abcdef0123456789abcdef"
HASH = random_digest(7, 0)
SUCCESS = b'{"reason":"\xe6\x88\x90\xe5\x8a\x9f","result":{"code":"3","orderid":"J201901141703399055"},"error_code":0}'  # noqa: E501


def json_escaped(text: str) -> str:
    """Every character as JSON's ``\\uXXXX``: a number a text scan alone would miss."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _one(path: Path, **answer: Any) -> dict[str, Any]:
    recorder = Recorder(path, source="pytest", key=KEY)
    try:
        line: dict[str, Any] = recorder.record(**answer)
    finally:
        recorder.close()
    return line


def test_the_schema_is_a_valid_schema_and_every_line_fits_it(tmp_path: Path) -> None:
    Draft202012Validator.check_schema(schema())
    path = tmp_path / "r.jsonl"
    _one(path, method="POST", key=KEY, mobile=HASH, status=200,
         content_type="application/json", content=SUCCESS, billed=True)  # fmt: skip
    _one(path, method="GET", key=None, mobile="abc", status=None, problem="ReadTimeout")
    _one(path, method="POST", key="", mobile=None, status=502, content_type="text/html",
         content=b"\xff\xfe not utf-8")  # fmt: skip
    for line in path.read_text("utf-8").splitlines():
        assert Draft202012Validator(schema()).is_valid(json.loads(line))


def test_a_line_holds_fingerprints_and_hashes_only(tmp_path: Path) -> None:
    echo = f'{{"error_code":10001,"reason":"无效的key！{KEY}","result":"{KEY}"}}'.encode()
    line = _one(tmp_path / "r.jsonl", method="POST", key=KEY, mobile=HASH.upper(), status=200,
                content_type="application/json", content=echo, billed=False)  # fmt: skip
    assert line["key"] == key_fingerprint(KEY) and line["key_kind"] == "given"
    assert line["mobile"] == HASH and line["mobile_sent"] == "hash"
    assert line["body"] == '{"error_code":10001,"reason":"无效的key！<key>","result":"<key>"}'
    assert line["scrubbed"] is True and line["v"] == 1 and line["billed"] is False
    assert "key-echo" in " ".join(line["verdict"]["warnings"])
    assert KEY not in (tmp_path / "r.jsonl").read_text("utf-8")
    number = _one(tmp_path / "n.jsonl", method="GET", key="wrong", mobile="13800138000",
                  status=200, content_type="application/json", content=b"{}")  # fmt: skip
    assert number["mobile"] is None and number["mobile_sent"] == "malformed"
    assert number["key_kind"] == "wrong" and "13800138000" not in json.dumps(number)


def test_a_body_that_is_not_utf8_is_kept_as_base64_scrubbed(tmp_path: Path) -> None:
    raw = b"\xff" + KEY.encode() + b"\xfe"
    line = _one(tmp_path / "r.jsonl", method="POST", key=KEY, mobile=HASH, status=200,
                content_type="application/octet-stream", content=raw)  # fmt: skip
    assert base64.b64decode(line["body_b64"]) == b"\xff<key>\xfe"


def test_the_writer_redacts_what_the_scrubber_cannot_know(tmp_path: Path) -> None:
    # An upstream that echoes a number, or another key, never lands in a file.
    body = b'{"reason":"13912345678 abcdefabcdefabcdefabcdefabcdefab","error_code":10001}'
    path = tmp_path / "r.jsonl"
    line = _one(path, method="POST", key=KEY, mobile=HASH, status=200,
                content_type="application/json", content=body)  # fmt: skip
    assert line["redacted"] is True and "13912345678" not in line["body"]
    escaped = ('{"reason":"' + json_escaped("13912345678") + '"}').encode()
    hidden = _one(path, method="POST", key=KEY, mobile=HASH, status=200,
                  content_type="application/json", content=escaped)  # fmt: skip
    assert hidden["body"] == "" and hidden["redacted"] is True
    assert len(read_recording(path, key=KEY)) == 2  # both lines are readable


@pytest.mark.parametrize(
    ("planted", "why"),
    [
        ({"body": f'{{"result":"{KEY}"}}'}, "holds the run's API key"),
        ({"problem": "fedcba9876543210fedcba9876543210"}, "looks like an API key"),
        ({"content_type": "text/plain; x=13800138000"}, "plaintext mobile number"),
        (
            {"body": '{"reason":"' + json_escaped("13800138000") + '"}'},
            "plaintext mobile number",
        ),
        (
            {"verdict": {"status": "conform", "problems": [], "warnings": [KEY.upper()]}},
            "looks like an API key",
        ),
    ],
    ids=["the-key", "a-key-like-token", "a-number", "an-escaped-number", "in-the-verdict"],
)
def test_the_reader_refuses_a_planted_leak_naming_the_line(
    tmp_path: Path, planted: dict[str, Any], why: str
) -> None:
    path = tmp_path / "r.jsonl"
    good = _one(path, method="POST", key=KEY, mobile=HASH, status=200,
                content_type="application/json", content=SUCCESS)  # fmt: skip
    with path.open("a", encoding="utf-8") as out:
        out.write("\n" + json.dumps({**good, **planted}, ensure_ascii=False) + "\n")
    with pytest.raises(RecordingError) as refused:
        read_recording(path, key=KEY)
    message = str(refused.value)
    assert message.startswith(f"{path}, line 3: $.") and why in message
    assert KEY not in message and "13800138000" not in message


def test_the_reader_names_what_else_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    good = _one(path, method="POST", key=KEY, mobile=HASH, status=200,
                content_type="application/json", content=SUCCESS)  # fmt: skip
    cases = {
        "not json\n": "line 1: $: not a JSON object on one line",
        "[1]\n": "line 1: $: must be a JSON object",
        json.dumps({**good, "v": 2}) + "\n": "line 1: $.v: must be 1",
        json.dumps({**good, "status": "200"}) + "\n": "line 1: $.status: does not fit",
        json.dumps({**good, "extra": 1}) + "\n": "line 1: $: holds a field the format",
        json.dumps({k: v for k, v in good.items() if k != "time"}) + "\n":
            "line 1: $: a field is missing: time",
    }  # fmt: skip
    for text, why in cases.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RecordingError, match=why.replace("$", r"\$").replace(".", r"\.")):
            read_recording(path)
    with pytest.raises(RecordingError, match=r"nowhere\.jsonl: \$: no such file"):
        read_recording(tmp_path / "nowhere.jsonl")
    assert leak_in(good) is None


def _write_lines(path: str, n: int, tag: int) -> None:
    recorder = Recorder(path, source="pytest", key=KEY)
    for i in range(n):
        recorder.record(method="POST", key=KEY, mobile=random_digest(tag, i), status=200,
                        content_type="application/json", content=SUCCESS * 20)  # fmt: skip
    recorder.close()


def test_concurrent_writers_never_mix_their_lines(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.jsonl")
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_lines, args=(path, 150, t)) for t in range(3)]
    threads = [threading.Thread(target=_write_lines, args=(path, 150, 10 + t)) for t in range(3)]
    for worker in (*processes, *threads):
        worker.start()
    for thread in threads:
        thread.join(timeout=60)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    entries = read_recording(path, key=KEY)
    assert len(entries) == 900 and len({e["mobile"] for e in entries}) == 900
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_juhe_contract_check_records_every_answer(
    stand_in: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.refuse_key = True  # it echoes the key in result and reason
    path = tmp_path / "nightly.jsonl"
    status = main(["check", "--base-url", stand_in.url, "--budget", "2", "--key", stand_in.key,
                   "--record", str(path)])  # fmt: skip
    capsys.readouterr()
    assert status == 1  # the key is refused: drift
    entries = read_recording(path, key=stand_in.key)
    assert len(entries) == len(stand_in.calls)  # one line per answer received
    assert {e["source"] for e in entries} == {"juhe-contract"}
    assert {e["key_kind"] for e in entries} == {"none", "empty", "wrong", "given"}
    given = [e for e in entries if e["key_kind"] == "given"]
    assert all(e["key"] == key_fingerprint(stand_in.key) for e in given)
    assert any(e.get("scrubbed") for e in given) and stand_in.key not in path.read_text("utf-8")
    assert any(e["verdict"]["status"] == "drift" for e in given)  # the probe's own verdict


def test_a_plan_records_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.jsonl"
    main(["check", "--base-url", "https://apis.juhe.cn", "--budget", "1", "--plan",
          "--record", str(path)])  # fmt: skip
    capsys.readouterr()
    assert not path.exists()


PROJECT_TEST = """
def test_lookups(juhe_target):
    answer = juhe_target.ask(mobile="{mobile}")
    assert answer.status == 200
    juhe_target.ask(mobile="{mobile}", no_key=True)
"""


@pytest.mark.subprocess
def test_pytest_juhe_record_records_what_juhe_target_received(
    stand_in: StandIn, tmp_path: Path
) -> None:
    (tmp_path / "test_project.py").write_text(PROJECT_TEST.format(mobile=HASH), "utf-8")
    path = tmp_path / "suite.jsonl"
    done = run_pytest(str(tmp_path / "test_project.py"), "--juhe-target", stand_in.url,
                      "--juhe-budget", "1", "--juhe-record", str(path), "-q", cwd=tmp_path,
                      env={"JUHE_KEY": stand_in.key})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    entries = read_recording(path, key=stand_in.key)
    assert [(e["key_kind"], e["mobile"], e["billed"]) for e in entries] == [
        ("given", HASH, True), ("none", HASH, False),
    ]  # fmt: skip
    assert {e["source"] for e in entries} == {"pytest"}
    bad = run_pytest(str(tmp_path / "test_project.py"), "--juhe-record",
                     str(tmp_path / "no" / "such" / "dir.jsonl"), cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 4 and "--juhe-record: " in bad.stderr
