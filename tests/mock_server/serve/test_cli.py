"""``juhe-mock`` as a real subprocess: port 0, the first stdout line, logs, signals, bad files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256

from ...helpers.answers import fetch
from ...helpers.paths import SCENARIOS
from ...helpers.served import COMMAND, EXE, MODULE, ServedMock, mock_command

pytestmark = pytest.mark.subprocess

#: The console script and ``python -m``: both must serve alike.
COMMANDS = {"juhe-mock": [EXE or "juhe-mock"], "python-m": MODULE}
#: Every promise below holds on the server (granian, named or by default). waitress is
#: retired: ``--server waitress`` exits 2 saying why (test_retired_waitress_exits_2...).
SERVERS = ["granian"]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_serves_on_free_port_and_stops_on_sigterm(command: str, server: str) -> None:
    with ServedMock("--server", server, command=COMMANDS[command]) as mock:
        proc, url = mock.process, mock.url
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        params = {"key": "k", "mobile": mobile_sha256(magic_number("3"))}
        assert fetch(url, params)["result"]["code"] == "3"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_does_not_wait_for_a_slow_answer(tmp_path: Path, server: str) -> None:
    # A request waiting out a drip (or latency) rule used to hold the exit up until
    # waitress gave up on its threads ("1 thread(s) still running", 5 s later).
    slow = tmp_path / "slow.yaml"
    slow.write_text("rules: [{then: {fault: drip, chunk: 1, interval: 600}}]\n", encoding="utf-8")
    target = f"{PATH}?key=k&mobile={mobile_sha256(magic_number('3'))}"
    with ServedMock("--server", server, "--scenarios", str(slow)) as mock:
        proc, url = mock.process, mock.url
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            received = b""
            while b"\r\n\r\n{" not in received:  # the first body byte: now it waits
                received += sock.recv(4096)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
    text = mock.log_text()
    assert "still running" not in text
    assert "Traceback" not in text


@pytest.mark.parametrize("server", SERVERS)
def test_sigint_stops_cleanly(server: str) -> None:
    with ServedMock("--server", server) as mock:
        proc = mock.process
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    assert "Traceback" not in mock.log_text()


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_one_redacted_log_line_per_request(fmt: str, server: str) -> None:
    key = "very-secret-key-123"
    phones = ["13000000003", "13812345678"]
    with ServedMock("--server", server, "--log-format", fmt) as mock:
        proc, url = mock.process, mock.url
        fetch(url, {"key": key, "mobile": mobile_sha256(phones[0])})
        fetch(url, {"key": key, "mobile": phones[1]})  # a plaintext number: 234802
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
    lines = mock.log_text().splitlines()
    assert len(lines) == 2
    text = "\n".join(lines)
    assert key not in text
    assert all(phone not in text for phone in phones)
    if fmt == "json":
        entries = [json.loads(line) for line in lines]
        assert [e["outcome"]["error_code"] for e in entries] == [0, 234802]
        assert entries[0]["key"] == entries[1]["key"] != key


@pytest.mark.parametrize("server", SERVERS)
def test_scenario_file_is_served(server: str) -> None:
    path = SCENARIOS / "no-record-by-default.yaml"
    args = ["--server", server, "--scenarios", str(path), "--seed", "3"]
    with ServedMock(*args) as mock:
        proc, url = mock.process, mock.url
        params = {"key": "k", "mobile": mobile_sha256("13812345678")}
        assert fetch(url, params)["error_code"] == 234803
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


@pytest.mark.parametrize("server", SERVERS)
def test_repeated_scenarios_are_merged_in_order(server: str) -> None:
    files = [str(SCENARIOS / "trial-key.yaml"), str(SCENARIOS / "no-record-by-default.yaml")]
    args = ["--server", server, "--scenarios", files[0], "--scenarios", files[1]]
    with ServedMock(*args) as mock:
        proc, url = mock.process, mock.url
        unknown = {"key": "k", "mobile": mobile_sha256("13812345678")}
        assert fetch(url, unknown)["error_code"] == 234803  # from the second file
        trial = {"key": "trial-key", "mobile": mobile_sha256(magic_number("5"))}
        codes = [fetch(url, trial)["error_code"] for _ in range(4)]
        assert codes == [0, 0, 0, 10013]  # from the first
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


@pytest.mark.parametrize("server", SERVERS)
def test_admin_token_guards_the_admin_api(server: str) -> None:
    with ServedMock("--server", server, "--admin-token", "t0ken-for-cli") as mock:
        proc, url = mock.process, mock.url
        health = url + "/__admin/health"
        assert requests.get(health, timeout=10).status_code == 401  # loopback is not enough
        wrong = {"Authorization": "Bearer nope"}
        assert requests.get(health, headers=wrong, timeout=10).status_code == 401
        right = {"Authorization": "Bearer t0ken-for-cli"}
        assert requests.get(health, headers=right, timeout=10).json()["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


def _fails(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        mock_command(*args),
        capture_output=True, text=True, encoding="utf-8", timeout=30,
    )  # fmt: skip


def test_bad_scenario_file_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - then: {error: 99999}\n", encoding="utf-8")
    done = _fails("--scenarios", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert str(bad) in done.stderr
    assert "$.rules[0].then.error" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    done = _fails("--scenarios", str(SCENARIOS / "chaos.yaml"), "--scenarios", str(missing))
    assert done.returncode == 2
    assert f"{missing}: $: no such file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "--port: 99999 is not between 0 and 65535"),
        (["--port", "-1"], "--port: -1 is not between 0 and 65535"),
        (["--port", "http"], "--port: 'http' is not a port number"),
        (["--host", "no-such-host.invalid"], "--host: cannot resolve 'no-such-host.invalid'"),
        (["--threads", "0"], "--threads: must be at least 1"),
        (["--log-format", "xml"], "--log-format: invalid choice: 'xml'"),
    ],
    ids=["port-too-big", "port-negative", "port-not-a-number", "host", "threads", "log-format"],
)
@pytest.mark.parametrize("server", SERVERS)
def test_bad_option_exits_2_saying_which(args: list[str], message: str, server: str) -> None:
    done = subprocess.run(
        [*COMMAND, "--server", server, *args],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_port_in_use_exits_2(tmp_path: Path, server: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--server", server, "--port", str(port)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_print_schema_is_json() -> None:
    done = subprocess.run([*COMMAND, "--print-schema"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert json.loads(done.stdout)["title"] == "juhe-mock scenario document"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_retired_waitress_exits_2_saying_why(workers: str) -> None:
    done = _fails("--server", "waitress", "--workers", workers)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "--server waitress is retired" in done.stderr
    assert "docs/architecture.md" in done.stderr  # where the reasons are
    assert "Traceback" not in done.stderr


def test_unknown_server_in_environment_exits_2() -> None:
    done = subprocess.run(
        mock_command(),
        capture_output=True, text=True, timeout=30, env={**os.environ, "JUHE_MOCK_SERVER": "uwsgi"},
    )  # fmt: skip
    assert done.returncode == 2
    assert "JUHE_MOCK_SERVER: 'uwsgi' is not granian or waitress" in done.stderr


def test_server_from_environment_is_used() -> None:
    retired = subprocess.run(
        mock_command(),
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "JUHE_MOCK_SERVER": "waitress"},
    )  # fmt: skip
    assert retired.returncode == 2 and "--server waitress is retired" in retired.stderr
    with ServedMock(env={"JUHE_MOCK_SERVER": "granian"}) as mock:
        response = requests.get(mock.url + "/__admin/health", timeout=10)
        assert response.headers["Server"] == "granian"
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(timeout=10) == 0


def test_default_granian_serves_others_while_one_answer_waits(tmp_path: Path) -> None:
    # A latency rule is a timer on the event loop: it holds nothing the others need.
    slow = tmp_path / "slow.yaml"
    slow.write_text("rules: [{when: {key: slow}, then: {latency: 600}}]\n", encoding="utf-8")
    target = f"{PATH}?key=slow&mobile={mobile_sha256(magic_number('3'))}"
    with ServedMock("--scenarios", str(slow)) as mock:
        proc, url = mock.process, mock.url
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            for _ in range(3):  # answered while the slow one still waits
                params = {"key": "k", "mobile": mobile_sha256(magic_number("3"))}
                assert fetch(url, params)["result"]["code"] == "3"
            sock.settimeout(0.2)
            with pytest.raises(TimeoutError):
                sock.recv(1)  # the slow answer has not come
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


@pytest.mark.parametrize("server", SERVERS)
def test_admin_state_is_exact_on_either_server(server: str) -> None:
    # One granian worker is one process: quotas, the journal, the ledger and scenario
    # writes over the admin API work as on waitress (no 409 as with several workers).
    key = "quota-key"
    with ServedMock("--server", server) as mock:
        proc, url = mock.process, mock.url
        scenario = {"version": 1, "keys": {"per_key": {key: {"quota": 2}}}}
        assert requests.put(url + "/__admin/scenarios", json=scenario, timeout=10).ok
        rule = {"when": {"key": "other"}, "then": {"error": 234801}}
        assert requests.post(url + "/__admin/scenarios/rules", json=rule, timeout=10).ok
        params = {"key": key, "mobile": mobile_sha256(magic_number("3"))}
        codes = [fetch(url, params)["error_code"] for _ in range(4)]
        assert codes == [0, 0, 10012, 10012]
        assert fetch(url, {**params, "key": "other"})["error_code"] == 234801
        assert requests.get(url + "/__admin/usage", timeout=10).json()["billable"] == 2
        journal = requests.get(url + "/__admin/requests", timeout=10).json()
        assert journal["count"] == 5
        assert requests.post(url + "/__admin/reset", timeout=10).ok
        assert requests.get(url + "/__admin/requests", timeout=10).json()["count"] == 0
        assert fetch(url, params)["error_code"] == 0  # the quota counts afresh
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
