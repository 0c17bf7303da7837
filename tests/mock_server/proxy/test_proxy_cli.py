"""``juhe-mock --upstream`` as a process: its settings, its start lines, its logs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contract.conformance.recording import read_recording

from ...helpers.served import ServedMock
from ...helpers.standin import STAND_IN_KEY, StandIn
from .conftest import ask

pytestmark = pytest.mark.subprocess


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JUHE_")}
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "--port", "0", *args],
        capture_output=True, text=True, timeout=60, check=False, env={**clean, **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--budget-per-day", "3"], {},
         "budget_per_day: only for the guard proxy; give upstream (--upstream URL|live)"),
        (["--record", "x.jsonl"], {}, "record: only for the guard proxy"),
        (["--upstream", "ftp://example.org"], {},
         "--upstream: 'ftp://example.org': give live or an http(s) URL of scheme and host"),
        (["--upstream", "http://127.0.0.1:9/some/path"], {}, "give live or an http(s) URL"),
        (["--upstream", "live"], {},
         "--upstream: the upstream's key comes from JUHE_KEY in the proxy's own environment"),
        (["--upstream", "live", "--budget-per-day", "-1"], {"JUHE_KEY": "k"},
         "--budget-per-day: must be a whole number, 0 or more"),
        (["--upstream", "live", "--cache-ttl", "nan"], {"JUHE_KEY": "k"},
         "--cache-ttl: must be 0 (no cache) to 31,622,400 seconds"),
        (["--upstream", "live", "--ledger", "l.json", "--state", "redis://127.0.0.1:1/0"],
         {"JUHE_KEY": "k"}, "ledger: with state (Redis) the proxy's budget is kept there"),
        (["--upstream", "live", "--workers", "2"], {"JUHE_KEY": "k"},
         "workers: 2 proxy workers must share the cache and the budget"),
        (["--upstream", "live", "--ledger", "/no/such/dir/l.json"], {"JUHE_KEY": "k"},
         "--ledger: /no/such/dir/l.json: $: its folder does not exist"),
        (["--upstream", "live", "--record", "/no/such/dir/r.jsonl"], {"JUHE_KEY": "k"},
         "--record: /no/such/dir/r.jsonl: $: cannot open it for appending"),
    ],
    ids=["budget-alone", "record-alone", "ftp", "a-path", "no-key", "negative", "nan",
         "ledger-and-redis", "workers-in-memory", "ledger-folder", "record-folder"],
)  # fmt: skip
def test_settings_that_cannot_work_exit_2_naming_them(
    args: list[str], env: dict[str, str], message: str
) -> None:
    done = _run(*args, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_proxy_process_keeps_the_key_out_of_its_logs(
    stand_in: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in.refuse_key = True  # the upstream echoes the key
    recording = tmp_path / "r.jsonl"
    monkeypatch.setenv("JUHE_KEY", STAND_IN_KEY)
    with ServedMock("--upstream", stand_in.url, "--budget-per-day", "5", "--record",
                    str(recording), "--log-format", "json") as proxy:  # fmt: skip
        answers = [ask(proxy, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(3)]
        journal, usage = proxy.requests, proxy.usage
        deadline = time.monotonic() + 10  # the log is written by a thread of its own
        while proxy.log_text().count('"upstream": "paid"') < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        log = proxy.log_text()
    assert [a.json()["result"] for a in answers] == ["<key>"] * 3
    assert f"juhe-mock: guard proxy for {stand_in.url}: cache 86400 s, budget per day 5" in log
    assert "kept in memory" in log and "a restart starts the day afresh" in log
    assert log.count('"upstream": "paid"') == 3  # one JSON line per request
    assert STAND_IN_KEY not in log + str(journal) + str(usage) + recording.read_text("utf-8")
    assert len(read_recording(recording, key=STAND_IN_KEY)) == 3
    assert usage["upstream"]["paid"] == 3 and usage["budget"]["day"]["cap"] == 5


def test_a_plain_http_upstream_elsewhere_is_named_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JUHE_KEY", "k")  # nothing is asked of the upstream at start
    with ServedMock("--upstream", "http://staging-vendor.example") as proxy:
        log = proxy.log_text()
    assert "the API key is sent to staging-vendor.example over plain http://" in log
    assert "no budget: every lookup the cache cannot answer is paid" in log
