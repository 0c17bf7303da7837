"""``juhe-tenure`` with a scripted transport: output and exit status for each outcome."""

from __future__ import annotations

import io
import json
import socket
from typing import Any

import pytest
import requests

import client.cli
from client import TenureClient
from client.cli import main
from contract import error_body, mobile_sha256, success_body

from .conftest import KEY, ScriptedAdapter

PHONE = "13000000003"
ORDERID = "J201901141703399055"


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``scripted(*steps)`` makes the CLI's client answer from a script; returns the adapter."""
    monkeypatch.setenv("JUHE_KEY", KEY)

    def script(*steps: Any) -> ScriptedAdapter:
        adapter = ScriptedAdapter(*steps)

        def factory(key: str, **options: Any) -> TenureClient:
            session = requests.Session()
            session.mount("http://", adapter)
            session.mount("https://", adapter)  # the default base URL is HTTPS
            return TenureClient(key, session=session, sleep=lambda _: None, **options)

        monkeypatch.setattr(client.cli, "TenureClient", factory)
        return adapter

    return script


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def test_cli_query_prints_result_and_exits_0(scripted: Any) -> None:
    adapter = scripted(success_body("3", ORDERID))
    status, out = run("query", "+86 130-0000-0003")
    assert status == 0
    assert "tenure code 3" in out
    assert "(6,12] 个月" in out
    assert ORDERID in out
    assert adapter.sent[0].form["mobile"] == [mobile_sha256(PHONE)]


def test_cli_query_json_prints_one_object(scripted: Any) -> None:
    scripted(success_body("5", ORDERID))
    status, out = run("query", PHONE, "--json")
    assert status == 0
    data = json.loads(out)
    assert data["code"] == "5"
    assert (data["months_above"], data["months_up_to"]) == (24, None)
    assert data["orderid"] == ORDERID
    assert data["mobile_sha256"] == mobile_sha256(PHONE)


def test_cli_query_hash_sends_the_given_hash(scripted: Any) -> None:
    adapter = scripted(success_body("1", ORDERID))
    status, _ = run("query", "--hash", mobile_sha256(PHONE).upper())
    assert status == 0
    assert adapter.sent[0].form["mobile"] == [mobile_sha256(PHONE)]


def test_cli_api_error_exits_1(scripted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    scripted(error_body(10012))
    status, _ = run("query", PHONE)
    assert status == 1
    err = capsys.readouterr().err
    assert "QuotaError" in err
    assert "10012" in err
    assert KEY not in err


def test_cli_api_error_json_names_code_and_family(scripted: Any) -> None:
    scripted(error_body(234803))
    status, out = run("query", PHONE, "--json")
    assert status == 1
    data = json.loads(out)
    assert data == {
        "error_code": 234803,
        "error": "NoRecordError",
        "family": "no_record",
        "reason": "查无记录",
    }


def test_cli_garbled_answer_exits_2(scripted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    scripted((200, b"<html>"))
    status, _ = run("query", PHONE)
    assert status == 2
    assert "InvalidResponseError" in capsys.readouterr().err


def test_cli_connection_refused_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A loopback port that was just free: nothing listens there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("JUHE_KEY", KEY)
    status, _ = run("query", PHONE, "--base-url", f"http://127.0.0.1:{port}", "--retries", "0")
    assert status == 2
    err = capsys.readouterr().err
    assert "ConnectError" in err
    assert KEY not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "12345"],
        ["query", "--hash", "not-a-hash"],
        ["query"],
        ["query", PHONE, "--hash", mobile_sha256(PHONE)],
        ["query", PHONE, "--retries", "-1"],
        ["query", PHONE, "--timeout", "0"],
        ["lookup", PHONE],
        [],
        ["query", PHONE, "--base-url", "apis.juhe.cn"],
    ],
    ids=["short-number", "bad-hash", "no-target", "both", "neg-retries", "zero-timeout",
         "bad-command", "nothing", "base-url-without-scheme"],
)  # fmt: skip
def test_cli_usage_problem_exits_2_without_a_request(scripted: Any, argv: list[str]) -> None:
    adapter = scripted()
    status, out = run(*argv)
    assert status == 2
    assert out == ""
    assert adapter.sent == []


def test_cli_bad_number_message_names_argument_not_number(
    scripted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted()
    run("query", "1300000000")
    err = capsys.readouterr().err
    assert "PHONE" in err
    assert "1300000000" not in err


def test_cli_missing_key_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JUHE_KEY", raising=False)
    status, _ = run("query", PHONE)
    assert status == 2
    assert "JUHE_KEY" in capsys.readouterr().err


def test_cli_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "JUHE_KEY" in capsys.readouterr().out
