"""``juhe-mock --workers N`` as real processes: exact shared state in Redis, honest refusals
with memory state, and clean stops. Every API body is validated in strict mode."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import key_fingerprint, magic_number, mobile_sha256

from ...helpers.answers import check_body
from ...helpers.processes import free_port, stop_process
from ...helpers.redis import RedisServer, namespace, redis_executable, start_redis
from ...helpers.served import ServedMock, mock_command
from ...helpers.threads import on_threads

KEY = "scale-test-key"
CONNECTIONS = 16
PARAMS = {"key": KEY, "mobile": mobile_sha256(magic_number("3"))}


def _scenario(tmp_path: Path, quota: int | None = None) -> Path:
    doc: dict[str, Any] = {"version": 1}
    if quota is not None:
        doc["keys"] = {"per_key": {KEY: {"quota": quota}}}
    path = tmp_path / f"scenario-{quota}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@dataclass
class Load:
    """What the clients saw: every body (validated) and the calls that failed to connect."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0

    def codes(self) -> list[int]:
        return [body["error_code"] for body in self.bodies]

    def successes(self) -> list[dict[str, Any]]:
        return [body for body in self.bodies if body["error_code"] == 0]


def run_load(
    url: str,
    per_connection: int,
    *,
    connections: int = CONNECTIONS,
    on_progress: Callable[[int], None] | None = None,
) -> Load:
    """``connections`` keep-alive clients, each making ``per_connection`` calls at once."""
    load = Load()
    lock = threading.Lock()

    def client(_: int) -> None:
        session = requests.Session()
        done = 0
        while done < per_connection:
            try:
                response = session.get(url, params=PARAMS, timeout=10)
            except requests.ConnectionError:
                # The worker holding this connection died; the call may or may not have
                # been answered (and billed) before. Count it and go on with a new one.
                with lock:
                    load.dropped += 1
                session.close()
                session = requests.Session()
                done += 1
                continue
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            check_body(body)
            done += 1
            with lock:
                load.bodies.append(body)
                seen = len(load.bodies)
            if on_progress is not None:
                on_progress(seen)
        session.close()

    on_threads(connections, client)  # they start together, at one barrier
    return load


def _orderids(load: Load) -> list[str]:
    return [body["result"]["orderid"] for body in load.successes()]


# --- Redis: exact across workers ---------------------------------------------------------


def test_quota_exact_across_two_workers_with_redis(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    quota = 40
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", namespace()]
    with ServedMock(*args, "--scenarios", str(_scenario(tmp_path, quota))) as mock:
        assert len(mock.worker_pids()) == 2
        load = run_load(mock.endpoint, per_connection=12)
        usage = mock.usage
        journal = mock.admin("GET", "/requests").json()
    assert load.dropped == 0
    assert len(load.bodies) == CONNECTIONS * 12
    assert load.codes().count(0) == quota
    assert set(load.codes()) == {0, 10012}
    assert usage["billable"] == quota
    assert usage["by_key"] == {key_fingerprint(KEY): quota}
    assert usage["by_code"] == {"3": quota}
    orderids = _orderids(load)
    assert len(set(orderids)) == len(orderids) == quota
    assert journal["count"] == CONNECTIONS * 12


def test_killed_worker_loses_no_counted_state(tmp_path: Path, redis_server: RedisServer) -> None:
    quota = 150
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", namespace()]
    with ServedMock(*args, "--scenarios", str(_scenario(tmp_path, quota))) as mock:
        victim = mock.worker_pids()[0]
        killed = threading.Event()

        def kill_midway(seen: int) -> None:
            if seen >= 80 and not killed.is_set():
                killed.set()
                os.kill(victim, signal.SIGKILL)

        load = run_load(mock.endpoint, per_connection=20, on_progress=kill_midway)
        usage = mock.usage
        deadline = time.monotonic() + 5
        while len(mock.worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = mock.worker_pids()
    assert killed.is_set()
    assert victim not in survivors and len(survivors) == 2  # granian brought a new one
    seen = len(load.successes())
    # Nothing counted is lost: the ledger holds at least every success a client saw, and
    # the quota held (the calls after it ran out were refused), so the counter survived.
    # A call cut off by the kill may have been billed unseen, so the ledger may exceed
    # the successes seen by at most the calls that failed; with none failed, it is equal.
    assert seen <= usage["billable"] <= seen + load.dropped
    assert usage["billable"] <= quota
    assert load.codes()[-1] == 10012 and 10012 in load.codes()
    if load.dropped == 0:
        assert usage["billable"] == seen
    orderids = _orderids(load)
    assert len(set(orderids)) == len(orderids)


def test_admin_reset_resets_every_worker(tmp_path: Path, redis_server: RedisServer) -> None:
    quota = 6
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", namespace()]
    with ServedMock(*args, "--scenarios", str(_scenario(tmp_path, quota))) as mock:
        before = run_load(mock.endpoint, per_connection=2)
        assert mock.usage["billable"] == quota
        response = mock.admin("POST", "/reset")
        assert response.status_code == 200 and response.json() == {"reset": True}
        assert mock.usage["billable"] == 0
        assert mock.admin("GET", "/requests").json()["count"] == 0
        after = run_load(mock.endpoint, per_connection=2)
        usage = mock.usage
    assert before.codes().count(0) == quota
    assert after.codes().count(0) == quota  # every worker sees the cleared quota
    assert usage["billable"] == quota
    both = _orderids(before) + _orderids(after)
    assert len(set(both)) == len(both)  # orderid counters survive the reset


def test_two_namespaces_on_one_redis_do_not_collide(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    quota = 5
    scenario = str(_scenario(tmp_path, quota))
    first = ["--workers", "2", "--namespace", namespace(), "--scenarios", scenario]
    env = {"JUHE_MOCK_STATE": redis_server.url()}  # the environment variable works too
    second = ["--state", redis_server.url(), "--namespace", namespace(), "--scenarios", scenario]
    with ServedMock(*first, env=env) as one, ServedMock(*second) as two:
        loads = [run_load(one.endpoint, 1), run_load(two.endpoint, 1)]
        usages = [one.usage, two.usage]
    for load, usage in zip(loads, usages, strict=True):
        assert load.codes().count(0) == quota
        assert usage["billable"] == quota


def test_scenario_writes_refused_with_several_workers(redis_server: RedisServer) -> None:
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", namespace()]
    with ServedMock(*args) as mock:
        put = mock.admin("PUT", "/scenarios", json={"version": 1})
        add = mock.admin("POST", "/scenarios/rules", json={"then": {"error": 10014}})
        got = mock.admin("GET", "/scenarios")
    for response in (put, add):
        assert response.status_code == 409
        assert response.json()["error"] == "not_shared"
        assert "restart" in response.json()["message"]
    assert got.status_code == 200


def test_sigterm_stops_every_worker(redis_server: RedisServer) -> None:
    args = ["--workers", "2", "--state", redis_server.url(), "--namespace", namespace()]
    with ServedMock(*args) as mock:
        workers = mock.worker_pids()
        assert len(workers) == 2
        started = time.monotonic()
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(timeout=5) == 0
        took = time.monotonic() - started
        gone = [not Path(f"/proc/{pid}").exists() for pid in workers]
    assert all(gone), workers
    assert took < 5  # generous: a bound for a hung stop, not a timing claim
    assert "Traceback" not in mock.log_text()


# --- memory state with several workers ---------------------------------------------------


@pytest.mark.subprocess
def test_memory_workers_serve_stateless_with_unique_orderids(tmp_path: Path) -> None:
    args = ["--workers", "2", "--scenarios", str(_scenario(tmp_path)), "--admin-token", "tok"]
    token = {"X-Admin-Token": "tok"}
    with ServedMock(*args) as mock:
        load = run_load(mock.endpoint, per_connection=25)
        anonymous = mock.admin("GET", "/usage")  # the token check still comes first
        usage = mock.admin("GET", "/usage", headers=token)
        journal = mock.admin("GET", "/requests", headers=token)
        reset = mock.admin("POST", "/reset", headers=token)
        health = mock.admin("GET", "/health", headers=token)
    assert anonymous.status_code == 401
    assert load.codes() == [0] * (CONNECTIONS * 25)
    orderids = _orderids(load)
    assert len(set(orderids)) == len(orderids)
    for refused in (usage, journal, reset):
        assert refused.status_code == 409
        assert "--state redis://" in refused.json()["message"]
    assert health.status_code == 200


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("doc", "named"),
    [
        ({"keys": {"quota": 3}}, "platform default quota"),
        ({"keys": {"per_key": {KEY: {"quota": 3}}}}, "quota of key fingerprint"),
        ({"ips": {"rate": {"limit": 5}}}, "per-IP rate limit"),
        ({"rules": [{"name": "twice", "times": 2, "then": {"error": 10014}}]}, "'twice' (times)"),
        ({"rules": [{"name": "seq", "sequence": [{"error": 10014}, {"tenure": "1"}]}]},
         "'seq' (sequence)"),
        ({"rules": [{"name": "p", "probability": 0.5, "then": {"error": 10014}}]},
         "'p' (probability)"),
        ({"internal_errors": 0.1}, "random internal errors"),
    ],
)  # fmt: skip
def test_memory_workers_refuse_stateful_scenarios(
    tmp_path: Path, doc: dict[str, Any], named: str
) -> None:
    path = tmp_path / "stateful.json"
    path.write_text(json.dumps({"version": 1, **doc}), encoding="utf-8")
    done = subprocess.run(
        mock_command("--workers", "2", "--scenarios", str(path)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert named in done.stderr
    assert "--state redis://HOST:PORT/DB" in done.stderr
    assert "Traceback" not in done.stderr
    assert KEY not in done.stderr  # a key is named by its fingerprint only


@pytest.mark.subprocess
@pytest.mark.parametrize("workers", ["1", "2"])
def test_unreachable_state_exits_2(workers: str) -> None:
    url = f"redis://:pw-not-shown@127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        mock_command("--workers", workers, "--state", url),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("juhe-mock: --state: cannot use Redis at redis://:***@")
    assert "pw-not-shown" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.subprocess
def test_bad_workers_count_exits_2() -> None:
    done = subprocess.run(mock_command("--workers", "0"), capture_output=True, text=True)
    assert done.returncode == 2
    assert "--workers" in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_redis_lost_mid_run_is_a_clear_503(
    tmp_path: Path, redis_server: RedisServer, workers: str
) -> None:
    own = start_redis(redis_executable(), tmp_path / "r.log")
    try:
        args = ["--workers", workers, "--state", own.url(), "--namespace", namespace()]
        with ServedMock(*args) as mock:
            check_body(requests.get(mock.endpoint, params=PARAMS, timeout=10).json())
            stop_process(own.proc)
            response = requests.get(mock.endpoint, params=PARAMS, timeout=30)
            assert response.status_code == 503  # on the API path, in the API's own shape
            check_body(response.json())
            assert response.json()["error_code"] == 10014
            assert "Redis at redis://127.0.0.1:" in response.headers["X-Juhe-Mock-Error"]
            admin = requests.get(mock.url + "/__admin/usage", timeout=30)
            assert admin.status_code == 503
            body = admin.json()
            assert body["error"] == "state_unavailable"
            assert "Redis at redis://127.0.0.1:" in body["message"]
    finally:
        stop_process(own.proc)
    assert "Traceback" not in mock.log_text()
