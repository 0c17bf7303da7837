"""Stopping a MockServer while requests are in flight: no error in any thread.

waitress's worker threads wake the server's loop through a trigger pipe when they write or
finish a task. ``stop_server`` closed that pipe before the workers had finished, so a late
worker's wake-up failed with ``OSError: [Errno 9] Bad file descriptor`` ("Exception when
servicing" in waitress's log, or an unhandled thread exception, depending on where it hit):
a flaky failure of whichever test stopped a server at that moment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256
from mock_server import MockServer

HASH = mobile_sha256(magic_number("3"))
SLOW = {"rules": [{"when": {"key": "slow"}, "then": {"latency": 0.05}}]}


def _slow_call(url: str) -> None:
    with contextlib.suppress(requests.RequestException):  # a connection closed by the stop
        requests.get(url, params={"key": "slow", "mobile": HASH}, timeout=10)


def _keep_alive_calls(url: str) -> None:
    with requests.Session() as session:
        for _ in range(50):
            try:
                session.get(url, params={"key": "k", "mobile": HASH}, timeout=10)
            except requests.RequestException:
                return


def test_stop_with_requests_in_flight_errs_in_no_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raised: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    caplog.set_level(logging.WARNING, logger="waitress")
    for i in range(12):
        mock = MockServer(scenarios=SLOW).start()
        url = mock.url + PATH
        clients = [threading.Thread(target=_slow_call, args=(url,)) for _ in range(4)]
        clients += [threading.Thread(target=_keep_alive_calls, args=(url,)) for _ in range(4)]
        for client in clients:
            client.start()
        threading.Event().wait(0.03 + (i % 4) * 0.01)  # stop mid-flight, at varied moments
        mock.stop()
        for client in clients:
            client.join(timeout=15)
    assert raised == [], [(e.exc_type, e.exc_value) for e in raised]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
