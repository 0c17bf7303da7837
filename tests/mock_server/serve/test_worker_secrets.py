"""The settings a spawned worker needs (the admin token, a Redis URL with its password) go
to it in a file only this user can read, removed at the end, never in its environment.

Before issue 16 they were JSON in ``JUHE_MOCK_WORKER_SETTINGS``: any process of the user
could read them from ``/proc/PID/environ`` of a worker started by ``spawn`` or
``forkserver`` (Python 3.14's default on Linux).
"""

from __future__ import annotations

import os
import stat
from typing import Any

import pytest

from mock_server import MockConfig
from mock_server.serve import workers

TOKEN = "worker-admin-token-6b0e"


def test_worker_settings_travel_in_a_private_file(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def instead_of_granian(config: MockConfig) -> int:  # what a spawned worker would find
        path = os.environ[workers.SETTINGS_ENV]
        seen["environ"] = dict(os.environ)
        seen["path"] = path
        seen["modes"] = (
            stat.S_IMODE(os.stat(path).st_mode),
            stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode),
        )
        seen["config"] = workers.worker_config()
        return 0

    monkeypatch.setattr(workers, "_run_granian", instead_of_granian)
    config = MockConfig(admin_token=TOKEN, port=0, scenarios=[{"seed": 4}])
    assert workers.serve_workers(config) == 0
    assert not any(TOKEN in value for value in seen["environ"].values())
    assert seen["modes"] == (0o600, 0o700)
    assert seen["config"].admin_token == TOKEN
    assert list(seen["config"].scenarios) == [{"seed": 4}]
    assert not os.path.exists(os.path.dirname(seen["path"]))  # removed when serving ends
    assert workers.SETTINGS_ENV not in os.environ
