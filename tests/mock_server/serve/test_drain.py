"""A graceful drain in every mode: one process (the default), ``--workers 2`` with memory
state, ``--workers 2`` with Redis state, and the in-process ``MockServer``.

On SIGTERM or SIGINT: the answer in flight is delivered, new connections are refused, and
the process exits 0 within the drain timeout (plus a margin for a loaded machine); a
second signal ends it at once with status 1. A worker killed with SIGKILL never resets
what is served: one process has no worker to lose, several come back with nothing served
from their memory (the journal and the ledger are refused, 409) and unique orderids.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256
from mock_server import MockServer

from ...helpers.answers import check_body
from ...helpers.redis import RedisServer, namespace
from ...helpers.served import ServedMock

HASH = mobile_sha256(magic_number("3"))
DRAIN_S = 3.0
MARGIN_S = 4.0
SLOW = {"rules": [{"when": {"key": "slow"}, "then": {"latency": 1.0}},
                  {"when": {"key": "stuck"}, "then": {"latency": 600}}]}  # fmt: skip
MODES = ["one-process", "workers-memory", pytest.param("workers-redis", marks=pytest.mark.redis)]


def _args(mode: str, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(SLOW), encoding="utf-8")
    args = ["--scenarios", str(path), "--drain-timeout", str(DRAIN_S)]
    if mode != "one-process":
        args += ["--workers", "2"]
    if mode == "workers-redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        args += ["--state", redis.url(), "--namespace", namespace()]
    return args


def _send(port: int, key: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    target = f"{PATH}?key={key}&mobile={HASH}"
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    return sock


def _answer(sock: socket.socket) -> dict[str, Any]:
    data = b""
    with sock:
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:200]
    parsed: dict[str, Any] = json.loads(body)
    check_body(parsed)
    return parsed


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def _wait_exit(proc: subprocess.Popen[Any], timeout: float) -> tuple[int | None, float]:
    began = time.monotonic()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    return code, time.monotonic() - began


@pytest.fixture
def launch(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], ServedMock]]:
    started: list[ServedMock] = []

    def start(mode: str) -> ServedMock:
        mock = ServedMock(*_args(mode, tmp_path, request))
        started.append(mock)
        return mock

    yield start
    for mock in started:
        if mock.process.poll() is None:
            mock.process.kill()
        mock.stop()


@pytest.mark.subprocess
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("mode", MODES)
def test_signal_drains_in_flight_and_exits_0(
    launch: Callable[[str], ServedMock], mode: str, signum: int
) -> None:
    mock = launch(mode)
    port = mock.port
    in_flight = [_send(port, "slow") for _ in range(3)]
    time.sleep(0.3)  # the three are decided and waiting out their second
    mock.process.send_signal(signum)
    time.sleep(0.3)
    refused = _refused(port)
    answers = [_answer(sock) for sock in in_flight]  # delivered, after their delay
    code, took = _wait_exit(mock.process, DRAIN_S + MARGIN_S)
    assert [a["error_code"] for a in answers] == [0, 0, 0]
    assert refused, "a new connection was accepted after the stop signal"
    assert code == 0
    assert took < DRAIN_S + MARGIN_S
    assert "Traceback" not in mock.log_text()


@pytest.mark.subprocess
@pytest.mark.parametrize("mode", MODES)
def test_drain_cuts_a_long_wait_at_the_timeout_and_a_second_signal_ends_it(
    launch: Callable[[str], ServedMock], mode: str
) -> None:
    # One stop: a 600 s latency is cut at the drain timeout, and the process exits 0.
    mock = launch(mode)
    port = mock.port
    stuck = _send(port, "stuck")
    time.sleep(0.3)
    began = time.monotonic()
    mock.process.send_signal(signal.SIGTERM)
    code, _ = _wait_exit(mock.process, DRAIN_S + MARGIN_S)
    assert code == 0
    assert time.monotonic() - began < DRAIN_S + MARGIN_S
    stuck.close()
    # Two stops: the second one ends it at once, with status 1.
    again = launch(mode)
    port = again.port
    stuck = _send(port, "stuck")
    time.sleep(0.3)
    again.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    again.process.send_signal(signal.SIGTERM)
    code, took = _wait_exit(again.process, MARGIN_S)
    stuck.close()
    assert code == 1
    assert took < MARGIN_S < DRAIN_S + MARGIN_S
    assert "a second signal" in again.log_text()


def test_in_process_mock_server_drains_on_stop() -> None:
    mock = MockServer(scenarios=SLOW, drain_timeout=DRAIN_S).start()
    port = mock.port
    in_flight = [_send(port, "slow") for _ in range(3)]
    time.sleep(0.3)
    stopper = threading.Thread(target=mock.stop)
    began = time.monotonic()
    stopper.start()
    time.sleep(0.3)
    refused = _refused(port)
    answers = [_answer(sock) for sock in in_flight]
    stopper.join(timeout=DRAIN_S + MARGIN_S)
    assert not stopper.is_alive()
    assert time.monotonic() - began < DRAIN_S + MARGIN_S
    assert refused
    assert [a["error_code"] for a in answers] == [0, 0, 0]


# --- a worker killed with SIGKILL ---------------------------------------------------------


@pytest.mark.subprocess
def test_default_has_no_worker_to_lose_and_a_kill_ends_service(tmp_path: Path) -> None:
    with ServedMock() as mock:
        assert mock.worker_pids() == []  # one process: the state and the server
        url = mock.url + PATH
        params = {"key": "k", "mobile": HASH}
        for _ in range(20):
            check_body(requests.get(url, params=params, timeout=10).json())
        assert mock.usage["billable"] == 20
        mock.process.send_signal(signal.SIGKILL)
        assert mock.process.wait(timeout=10) == -signal.SIGKILL
        # No silent reset: nothing answers with an empty ledger; the server is gone.
        with pytest.raises(requests.ConnectionError):
            requests.get(url, params=params, timeout=5)


@pytest.mark.subprocess
def test_killed_memory_worker_comes_back_with_nothing_served_from_its_memory() -> None:
    with ServedMock("--workers", "2") as mock:
        url = mock.url + PATH
        params = {"key": "k", "mobile": HASH}
        workers = mock.worker_pids()
        assert len(workers) == 2, workers
        orderids: list[str] = []
        stop = threading.Event()

        def load() -> None:
            with requests.Session() as session:
                while not stop.is_set() and len(orderids) < 3000:
                    try:
                        body = session.get(url, params=params, timeout=10).json()
                    except requests.ConnectionError:
                        continue  # the killed worker's connection
                    check_body(body)
                    orderids.append(body["result"]["orderid"])

        clients = [threading.Thread(target=load) for _ in range(4)]
        for client in clients:
            client.start()
        time.sleep(0.5)
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = mock.worker_pids()
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for client in clients:
            client.join(timeout=30)
        assert workers[0] not in mock.worker_pids()
        assert len(mock.worker_pids()) == 2  # granian brought a fresh one
        assert len(orderids) == len(set(orderids)) > 0  # lanes: unique across the death
        # The per-worker journal and ledger were never served, so a fresh worker resets
        # nothing anyone could read.
        assert requests.get(mock.url + "/__admin/usage", timeout=10).status_code == 409
        assert requests.get(mock.url + "/__admin/requests", timeout=10).status_code == 409
