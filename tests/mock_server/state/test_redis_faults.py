"""Redis trouble and dying workers, against a real ``redis-server`` each test starts itself.

What failed before issue 16: Redis paused (``SIGSTOP``) held every request for 10 s and
more (a 10 s socket timeout, retried ten times) instead of a 503; Redis restarted empty
mid-run went on silently from zero (a quota of 5 gave 5 more successes); a worker killed
mid-request could leave the quota taken, the ledger and the journal disagreeing, since
each was its own round trip. Each test is bounded in time.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from contract import key_digest, magic_number, mobile_sha256

from ...helpers.answers import check_body
from ...helpers.processes import stop_process
from ...helpers.redis import RedisServer, namespace, redis_executable, start_redis
from ...helpers.served import ServedMock
from ...helpers.threads import on_threads

pytestmark = pytest.mark.redis

KEY = "fault-test-key"
PARAMS = {"key": KEY, "mobile": mobile_sha256(magic_number("3"))}


def _scenario(tmp_path: Path, quota: int) -> str:
    path = tmp_path / f"quota-{quota}.yaml"
    path.write_text(f"keys: {{per_key: {{{KEY}: {{quota: {quota}}}}}}}\n", encoding="utf-8")
    return str(path)


@contextmanager
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone (the session's is shared by every test)."""
    server = start_redis(redis_executable(), tmp_path / "redis.log")
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            os.kill(server.proc.pid, signal.SIGCONT)  # a stopped process cannot end
        stop_process(server.proc)


def _get(url: str, timeout: float = 8.0) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url, params=PARAMS, timeout=timeout)
    return response, time.monotonic() - started


def test_a_paused_redis_gets_503s_within_the_timeout(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with own_redis(tmp_path) as paused:
        args = ["--state", paused.url(), "--namespace", namespace(), "--redis-timeout-s", "0.5"]
        with ServedMock(*args) as mock:
            first, _ = _get(mock.endpoint)
            assert first.status_code == 200
            check_body(first.json())
            os.kill(paused.proc.pid, signal.SIGSTOP)
            try:
                answers: list[tuple[int, float, str]] = []

                def call(_: int) -> None:
                    response, took = _get(mock.endpoint)
                    answers.append((response.status_code, took, response.text))

                on_threads(4, call, together=False, timeout=30)
                usage = mock.admin("GET", "/usage")
            finally:
                os.kill(paused.proc.pid, signal.SIGCONT)
            assert len(answers) == 4
            for status, took, text in answers:
                assert status == 503, text
                check_body(requests.models.complexjson.loads(text))  # 10014, the API's shape
                assert took < 3.0, f"{took:.1f} s for a 0.5 s timeout"  # not 10 s and more
            assert usage.status_code == 503 and usage.json()["error"] == "state_unavailable"
            assert "TimeoutError" in usage.json()["message"]
            again, _ = _get(mock.endpoint)
            assert again.status_code == 200  # Redis is back: so is the mock


def test_redis_restarted_empty_is_reported_until_reset(tmp_path: Path) -> None:
    with own_redis(tmp_path) as first_life:
        port = first_life.port
        args = ["--state", first_life.url(), "--namespace", namespace(),
                "--scenarios", _scenario(tmp_path, 5)]  # fmt: skip
        with ServedMock(*args) as mock:
            codes = [_get(mock.endpoint)[0].json()["error_code"] for _ in range(3)]
            assert codes == [0, 0, 0]
            stop_process(first_life.proc)  # no persistence: its data goes with it
            second_life = start_redis(redis_executable(), tmp_path / "redis-2.log", port)
            try:
                lost, _ = _get(mock.endpoint)
                assert lost.status_code == 503, lost.text
                check_body(lost.json())
                assert "is gone" in lost.headers["X-Juhe-Mock-Error"]
                usage = mock.admin("GET", "/usage")
                assert usage.status_code == 503 and "POST /__admin/reset" in usage.json()["message"]
                assert _get(mock.endpoint)[0].status_code == 503  # still: until reset
                assert mock.admin("POST", "/reset").status_code == 200
                after = [_get(mock.endpoint)[0].json()["error_code"] for _ in range(6)]
                assert after == [0, 0, 0, 0, 0, 10012]  # a fresh state, counted exactly
                assert mock.usage["billable"] == 5
            finally:
                stop_process(second_life.proc)
    assert "is gone" in mock.log_text()  # said once, loudly, in the log


def _hammer(url: str, clients: int, calls: int) -> tuple[int, int]:
    """(successes seen, calls that failed to get any answer)."""
    seen = failed = 0
    lock = threading.Lock()

    def client(_: int) -> None:
        nonlocal seen, failed
        session = requests.Session()
        for _ in range(calls):
            try:
                response = session.get(url, params=PARAMS, timeout=10)
            except requests.ConnectionError:  # its worker was killed mid-request
                with lock:
                    failed += 1
                session.close()
                session = requests.Session()
                continue
            body: dict[str, Any] = response.json()
            check_body(body)
            with lock:
                seen += body["error_code"] == 0
        session.close()

    on_threads(clients, client, together=False)
    return seen, failed


def _retrying(read: Any) -> Any:
    """``read()``, again while a respawned worker is still starting to listen."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return read()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_killed_workers_leave_quota_ledger_and_journal_agreeing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    quota, name = 400, namespace()
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", name,
            "--scenarios", _scenario(tmp_path, quota)]  # fmt: skip
    with ServedMock(*args, env={"JUHE_MOCK_JOURNAL_SIZE": "5000"}) as mock:
        stop = threading.Event()
        kills: list[int] = []
        # Each first-generation worker once, mid-load: granian ends the server when a worker
        # it respawned dies within 5.5 s (a "crash loop"), so a respawned one is spared.
        originals = mock.worker_pids()

        def killer() -> None:
            for pid in originals:
                if stop.wait(0.3):
                    return
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)

        thread = threading.Thread(target=killer)
        thread.start()
        try:
            seen, failed = _hammer(mock.endpoint, clients=16, calls=60)
        finally:
            stop.set()
            thread.join(timeout=10)
        deadline = time.monotonic() + 10  # granian brings the last one killed back
        while len(mock.worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        usage = _retrying(lambda: mock.usage)
        journal = _retrying(lambda: mock.admin("GET", "/requests").json()["requests"])
    client = redis.Redis.from_url(redis_server.url(), decode_responses=True)
    try:
        # The quota's counters, one per window (a Beijing day): all of them, should the run
        # cross midnight.
        counters = client.keys(f"juhe-mock:{name}:c:quota:{key_digest(KEY)}:*")
        taken = sum(int(client.get(counter) or 0) for counter in counters)
    finally:
        client.close()
    assert len(kills) == 2
    billed_entries = sum(1 for entry in journal if entry["billable"])
    # One step per request: whatever the kills interrupted, the three agree exactly.
    assert taken == usage["billable"] == billed_entries, (taken, usage, billed_entries)
    assert sum(usage["by_key"].values()) == usage["billable"]
    # The clients saw every success but those cut off by a kill after their step.
    assert seen <= usage["billable"] <= seen + failed
    assert usage["billable"] <= quota
