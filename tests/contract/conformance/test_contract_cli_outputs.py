"""``juhe-contract check``'s outputs while and after it runs: rows as they are judged, a
progress line only on a terminal, output paths refused before anything is sent, times in
JUnit, a timestamp and the version in the JSON report."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from contract.conformance.cli import main
from contract.conformance.probe import Answer, Probe, run_probes, standard_probes
from contract.conformance.progress import Progress
from contract.version import version

from ...helpers.paths import BIN, ROOT, SAMPLE_CANARIES
from ...helpers.standin import StandIn

CLEAR = "\r\x1b[K"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


class Terminal(io.StringIO):
    """A stream that says it is a terminal (what stderr is in an interactive shell)."""

    def isatty(self) -> bool:
        return True


# --- rows as they are judged, and the progress line ----------------------------------------


class Watching(StandIn):
    """A stand-in that notes, at each call to the API, what stderr showed by then."""

    def __init__(self, stream: io.StringIO) -> None:
        super().__init__()
        self.stream = stream
        self.shown_at_call: list[str] = []

    def decide(self, key: str | None, mobile: str | None) -> tuple[Any, bool]:
        self.shown_at_call.append(self.stream.getvalue())
        return super().decide(key, mobile)


def test_each_row_is_on_stderr_before_the_next_probe_is_sent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with Watching(stream) as stand_in:
        status = main(["check", "--base-url", stand_in.url, "--budget", "1",
                       "--key", stand_in.key])  # fmt: skip
        shown = stand_in.shown_at_call
    out = capsys.readouterr().out
    assert status == 0, out
    assert len(shown) == 11  # every probe was sent: none of them billed but the last
    for n, before in enumerate(shown):  # the n-th call: n rows already shown, no more
        assert before.count("\n") == n, before
    err = stream.getvalue()
    assert "[ 7/11] 63 hex: 234802, conform, free, " in err
    assert "[11/11] random hash: 0 code '3', conform, billed, " in err
    assert "\r" not in err and "\x1b" not in err  # not a terminal: no progress line
    # The table and the summary are on stdout as before, once.
    assert [line.split()[1:3] for line in out.splitlines() if line.startswith("7 ")] == [
        ["63", "hex"]
    ]
    assert "[ 7/11]" not in out and "verdict: CONFORM (11 probes sent, 0 drifted)" in out


def test_drift_is_shown_under_its_row_as_it_happens(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.lenient = True
    status, _, err = check(capsys, "--base-url", stand_in.url, "--budget", "3",
                           "--key", stand_in.key)  # fmt: skip
    assert status == 1
    row, problem = err.split("[ 5/11] missing mobile: ", 1)[1].splitlines()[:2]
    assert row.startswith("0 code '3', drift, billed")
    assert problem == "    error_code: expected 234802, got 0 (a success, billed) [expected-code]"


INVALID_KEY = {"reason": "错误的请求KEY", "result": None, "error_code": 10001}
ROW = r"\[\d/3\] [^:]+: 10001, conform, free, \d+\.\d\d s\n"


def _probes_on(stream: io.StringIO, total: int = 3) -> None:
    probes = standard_probes(seed=1)[:total]  # the first three expect 10001
    answer = Answer(200, "application/json", json.dumps(INVALID_KEY).encode(), INVALID_KEY,
                    is_json=True, billed=False)  # fmt: skip
    with Progress(stream, total) as progress:
        run_probes(probes, lambda p: answer, key=None, before=progress.before,
                   after=progress.after)  # fmt: skip


def test_on_a_terminal_a_progress_line_is_redrawn_and_replaced_by_each_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = Terminal()
    _probes_on(stream)
    text = stream.getvalue()
    drawn = [
        re.escape(CLEAR + f"[{i}/3] probing {name} ...") + re.escape(CLEAR) + ROW
        for i, name in enumerate(("no key", "empty key", "no key before bad mobile"), 1)
    ]
    # Each line is drawn, then erased and replaced by its row; nothing is left after the last.
    assert re.fullmatch("".join(drawn), text), repr(text)


def test_an_interrupted_run_leaves_no_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream = Terminal()
    with pytest.raises(KeyboardInterrupt), Progress(stream, 11) as progress:
        progress.before(1, standard_probes(seed=1)[0])
        raise KeyboardInterrupt
    assert stream.getvalue() == CLEAR + "[ 1/11] probing no key ..." + CLEAR


def test_a_progress_line_never_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "24")
    stream = Terminal()
    with Progress(stream, 11) as progress:
        progress.status("[ 4/11] probing wrong key before bad mobile ...")
    drawn = stream.getvalue().split(CLEAR)[1]
    assert len(drawn) < 24 and drawn.endswith("...")


def test_no_progress_line_on_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")  # Emacs' shell, some CI consoles: no \r redraws
    stream = Terminal()
    _probes_on(stream)
    assert "\r" not in stream.getvalue() and "probing" not in stream.getvalue()
    assert stream.getvalue().count("\n") == 3  # the rows still are


@pytest.mark.subprocess
def test_the_console_script_on_a_real_terminal(stand_in: StandIn) -> None:
    # stderr on a pseudo-terminal, as in an interactive shell; stdout a pipe.
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    env.pop("JUHE_CANARIES", None)
    try:
        done = subprocess.Popen(
            [str(BIN / "juhe-contract"), "check", "--base-url", stand_in.url, "--budget", "1",
             "--key", stand_in.key],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=secondary, text=True,
        )  # fmt: skip
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        out, _ = done.communicate(timeout=60)
    finally:
        os.close(primary)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 0, out + shown
    assert CLEAR + "asking 127.0.0.1 who answers there ..." + CLEAR in shown
    assert CLEAR + "[ 7/11] probing 63 hex ..." + CLEAR + "[ 7/11] 63 hex: 234802" in shown
    last = "[11/11] random hash: 0 code '3', conform, billed"
    assert last in shown and "probing" not in shown.split(last)[1]  # nothing left after it
    assert "\r" not in out and "verdict: CONFORM" in out
    assert stand_in.key not in shown + out


# --- output paths checked before the first request -------------------------------------------


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder no new file can be made in: a read-only one, or for root (whom mode bits do
    not stop) /proc, where no one can create a file."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        return Path("/proc")
    return folder


BAD_PATHS = {
    "missing folder": (lambda tmp: tmp / "no" / "such" / "out.json", "does not exist"),
    "a folder": (lambda tmp: tmp, "is a folder, not a file"),
    "under a file": (lambda tmp: tmp / "file.txt" / "out.json", "is not a folder"),
    "unwritable": (lambda tmp: _unwritable_folder(tmp) / "out.json", "cannot write"),
}
OPTIONS = ("--report", "--junit", "--html", "--ledger")


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("case", list(BAD_PATHS))
def test_an_output_path_that_cannot_be_written_is_refused_before_anything_is_sent(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str,
    case: str,
) -> None:  # fmt: skip
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    make, said = BAD_PATHS[case]
    path = make(tmp_path)
    status, out, err = check(capsys, "--base-url", stand_in.url, "--budget", "3",
                             "--key", stand_in.key, option, str(path))  # fmt: skip
    assert status == 2, out + err
    assert f"juhe-contract: {option}: " in err and str(path) in err and said in err
    assert stand_in.paths == []  # nothing at all: not even the health request
    assert stand_in.billed == 0 and out == ""
    assert not path.is_file()  # the check made no file


def test_two_outputs_in_one_file_are_refused(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    same = str(tmp_path / "out")
    status, _, err = check(capsys, "--base-url", stand_in.url, "--budget", "1",
                           "--report", same, "--html", same)  # fmt: skip
    assert status == 2
    assert f"--html: {same} is also given to --report" in err
    assert stand_in.paths == []


def test_a_plan_checks_the_paths_too(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The nightly runs the plan first: a bad path stops it there, before the live step.
    missing = tmp_path / "gone" / "junit.xml"
    status, _, err = check(capsys, "--base-url", stand_in.url, "--budget", "1", "--plan",
                           "--junit", str(missing))  # fmt: skip
    assert status == 2 and f"--junit: {missing}: its folder" in err


def test_existing_outputs_are_fine_and_replaced(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    report.write_text("old", encoding="utf-8")
    status, _, _ = check(capsys, "--base-url", stand_in.url, "--budget", "1",
                         "--key", stand_in.key, "--report", str(report))  # fmt: skip
    assert status == 0
    assert json.loads(report.read_text("utf-8"))["verdict"] == "conform"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no probe file left


# --- times, timestamp, version ---------------------------------------------------------------


def _utc(text: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(text)
    assert stamp.utcoffset() == dt.timedelta(0), text
    now = dt.datetime.now(dt.timezone.utc)
    assert now - dt.timedelta(minutes=5) <= stamp <= now, text
    return stamp


def test_junit_has_times_and_a_timestamp_and_json_a_timestamp_and_the_version(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    status, out, _ = check(
        capsys, "--base-url", stand_in.url, "--budget", "2", "--key", stand_in.key,
        "--canaries", str(SAMPLE_CANARIES), "--report", str(report), "--junit", str(junit),
    )  # fmt: skip
    assert status in (0, 1), out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    times = [float(case.get("time", "x")) for case in cases]
    assert len(times) == int(suite.get("tests", "0")) and all(t >= 0 for t in times)
    skipped = [float(c.get("time", "x")) for c in cases if c.find("skipped") is not None]
    assert skipped and all(t == 0 for t in skipped)  # not sent: no time
    assert any(t > 0 for t in times)
    total = float(suite.get("time", "x"))
    assert total >= sum(times) - 0.0005 * len(times)  # each case rounded to the millisecond
    started = _utc(suite.get("timestamp", ""))
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["version"] == version()

    data = json.loads(report.read_text("utf-8"))
    assert data["version"] == version() and data["tool"] == "juhe-contract"
    assert _utc(data["timestamp"]) == started
    assert data["seconds"] == pytest.approx(total, abs=0.001)
    assert [p["seconds"] for p in data["probes"]] == pytest.approx(times, abs=0.001)


def test_a_run_records_when_it_began_and_how_long_each_probe_took() -> None:
    probes: list[Probe] = standard_probes(seed=2)[:2]
    run = run_probes(probes, lambda p: Answer(None, problem="ConnectTimeout"), key=None)
    assert run.started is not None and run.started.tzinfo is dt.timezone.utc
    assert run.seconds >= sum(r.seconds for r in run.results) >= 0


def test_the_help_says_where_the_rows_go_and_that_paths_are_checked_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["check", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for said in ("--html FILE", "self-contained HTML page", "UTC timestamp", "(with times)",
                 "each probe's row goes to stderr", "checked before the first request",
                 "exits 2 with nothing sent"):  # fmt: skip
        assert said in text, said
