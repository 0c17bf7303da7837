"""Reloading scenario files while serving: ``juhe-mock --watch`` and ``SIGHUP``.

A changed file is served within a couple of polls; a broken one is refused with the line
``juhe-mock`` would exit with (``FILE: $.path: why``) and the last good scenario stays;
what ``configure`` keeps (journal, ledger, quota and unchanged rules' counters) stays.
Real subprocesses, every wait bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from contract import magic_number
from mock_server import MockConfig, MockServer
from mock_server.runtime import MockRuntime
from mock_server.serve.reload import Reloader

from ...helpers.answers import fetch, query
from ...helpers.served import ServedMock, mock_command

pytestmark = pytest.mark.timeout(90)

WAIT_S = 15


def _tenure(code: str, extra: str = "") -> str:
    return f"{extra}rules:\n  - when: {{key: k}}\n    then: {{tenure: '{code}'}}\n"


def _code(url: str) -> str | int:
    body = fetch(url, query(magic_number("1"), key="k"))
    return str(body["result"]["code"]) if body["error_code"] == 0 else int(body["error_code"])


def _wait_log(mock: ServedMock, needle: str, count: int = 1) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        text = mock.log_text()
        if text.count(needle) >= count:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} ×{count} not logged within {WAIT_S} s: {mock.log_text()!r}")


def _replace(path: Path, text: str) -> None:
    """Write as editors do: a new file renamed over the old one (a new inode)."""
    fresh = path.with_suffix(".tmp")
    fresh.write_text(text, encoding="utf-8")
    os.replace(fresh, path)


@pytest.mark.subprocess
def test_watch_serves_a_changed_file_and_keeps_journal_and_ledger(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    with ServedMock("--watch", "--scenarios", str(scenario)) as mock:
        _wait_log(mock, f"watching {scenario}")
        assert [_code(mock.url), _code(mock.url)] == ["3", "3"]
        scenario.write_text(_tenure("4"), encoding="utf-8")  # in place
        _wait_log(mock, "reloaded (changed)")
        assert _code(mock.url) == "4"
        _replace(scenario, _tenure("2"))  # renamed over
        _wait_log(mock, "reloaded (changed)", 2)
        assert _code(mock.url) == "2"
        assert [e["outcome"]["code"] for e in mock.requests] == ["3", "3", "4", "2"]
        assert mock.usage["billable"] == 4


@pytest.mark.subprocess
def test_watch_refuses_a_broken_file_and_keeps_the_last_good(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    with ServedMock("--watch", "--scenarios", str(scenario)) as mock:
        _wait_log(mock, "watching")
        scenario.write_text(_tenure("9"), encoding="utf-8")  # not a tenure code
        log = _wait_log(mock, "reload refused")
        line = next(x for x in log.splitlines() if "reload refused" in x)
        assert line.startswith(f"juhe-mock: reload refused: {scenario}: $.rules[0].then.tenure: ")
        assert line.endswith("still serving the last good scenario")
        assert _code(mock.url) == "3"
        time.sleep(1.2)  # more than two polls: a broken file is not read again unchanged
        assert mock.log_text().count("reload refused") == 1
        scenario.unlink()  # gone: refused too, still serving
        _wait_log(mock, f"{scenario}: $: no such file")
        assert _code(mock.url) == "3"
        scenario.write_text(_tenure("5"), encoding="utf-8")
        _wait_log(mock, "reloaded (changed)")
        assert _code(mock.url) == "5"


@pytest.mark.subprocess
def test_sighup_reloads_on_demand_and_refuses_a_broken_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    with ServedMock("--scenarios", str(scenario), "--log-format", "json") as mock:
        scenario.write_text(_tenure("4"), encoding="utf-8")
        time.sleep(1.2)  # more than two polls of --watch: without it nothing is reloaded
        assert _code(mock.url) == "3"
        mock.process.send_signal(signal.SIGHUP)
        _wait_log(mock, "reloaded (SIGHUP)")
        assert _code(mock.url) == "4"
        scenario.write_text("rules: [unclosed", encoding="utf-8")
        mock.process.send_signal(signal.SIGHUP)
        log = _wait_log(mock, "reload refused")
        record = next(json.loads(x) for x in log.splitlines() if "reload refused" in x)
        assert record["level"] == "error"
        assert f"{scenario}: line 1, column" in record["message"]
        assert _code(mock.url) == "4"
        assert mock.process.poll() is None  # SIGHUP no longer ends the process


@pytest.mark.subprocess
def test_a_reload_keeps_counters_and_replaces_admin_changes(tmp_path: Path) -> None:
    """Quota counters stay (as configure keeps them); the files replace what the admin API
    put; reset goes back to the files as they are now."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3", "keys: {quota: 2}\n"), encoding="utf-8")
    with ServedMock("--scenarios", str(scenario)) as mock:
        assert [_code(mock.url), _code(mock.url), _code(mock.url)] == ["3", "3", 10012]
        scenario.write_text(_tenure("4", "keys: {quota: 3}\n"), encoding="utf-8")
        mock.process.send_signal(signal.SIGHUP)
        _wait_log(mock, "reloaded (SIGHUP)")
        assert [_code(mock.url), _code(mock.url)] == ["4", 10012]  # 2 of 3 were used
        mock.scenario({"rules": [{"then": {"error": 10020}}]})
        assert _code(mock.url) == 10020
        mock.process.send_signal(signal.SIGHUP)
        _wait_log(mock, "reloaded (SIGHUP)", 2)
        assert _code(mock.url) == 10012  # the file again, the quota still spent
        mock.reset()
        assert [_code(mock.url), _code(mock.url)] == ["4", "4"]  # the reloaded file, afresh


def _exit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mock_command(*args), capture_output=True, text=True,
                          timeout=30, env=env)  # fmt: skip


@pytest.mark.subprocess
def test_watch_with_several_workers_exits_2_saying_why() -> None:
    done = _exit("--watch", "--workers", "2")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("juhe-mock: --watch: with --workers 2 each worker holds")
    from_env = _exit("--workers", "2", env={**os.environ, "JUHE_MOCK_WATCH": "1"})
    assert from_env.returncode == 2 and "--watch: with --workers 2" in from_env.stderr


@pytest.mark.subprocess
def test_sighup_with_several_workers_is_ignored_saying_why(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    with ServedMock("--workers", "2", "--scenarios", str(scenario)) as mock:
        scenario.write_text(_tenure("4"), encoding="utf-8")
        mock.process.send_signal(signal.SIGHUP)
        _wait_log(mock, "juhe-mock: SIGHUP ignored: with --workers 2")
        assert {_code(mock.url) for _ in range(6)} == {"3"}
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(timeout=20) == 0


def test_the_reloader_swaps_atomically_or_not_at_all(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    runtime = MockRuntime(MockConfig(scenarios=[scenario]))
    reloader = Reloader(runtime)
    runtime.store.journal_append({"marker": 1})
    engine = runtime.engine
    scenario.write_text(_tenure("6"), encoding="utf-8")
    assert reloader.reload_now("test") is False
    assert runtime.engine is engine and (reloader.done, reloader.refused) == (0, 1)
    scenario.write_text(_tenure("1"), encoding="utf-8")
    assert reloader.reload_now("test") is True
    assert runtime.engine is not engine
    assert runtime.document["rules"][0]["then"] == {"tenure": "1"}
    assert runtime.requests() == [{"marker": 1}]  # the journal stays


def test_an_in_process_mock_serves_a_reload(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    with MockServer(scenario) as mock:
        assert _code(mock.url) == "3"
        scenario.write_text(_tenure("4"), encoding="utf-8")
        assert Reloader(mock.runtime).reload_now("test")
        assert _code(mock.url) == "4"
        mock.reset()
        assert _code(mock.url) == "4"


def test_an_unexpected_failure_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(_tenure("3"), encoding="utf-8")
    runtime = MockRuntime(MockConfig(scenarios=[scenario]))
    engine = runtime.engine

    def broken(parts: object) -> None:
        raise RuntimeError("merge went wrong")

    monkeypatch.setattr(runtime, "prepare", broken)
    caplog.set_level("ERROR", logger="mock_server.serve")
    monkeypatch.setattr("mock_server.serve.logs.SERVE_LOG.propagate", True)
    assert Reloader(runtime).reload_now("test") is False
    assert runtime.engine is engine
    assert "reload refused: RuntimeError('merge went wrong')" in caplog.text
