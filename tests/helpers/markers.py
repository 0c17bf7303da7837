"""The suite's markers, applied and kept true (declared in pyproject.toml, where
``--strict-markers`` refuses any other).

* ``subprocess``: the test starts a process of its own (juhe-mock, pytest, a tool);
  ``-m "not subprocess"`` is the quick, in-process run.
* ``redis`` (a real redis-server), ``browser`` (headless Chromium), ``npm`` (an npm
  package): the tool the test needs; each implies ``subprocess``.

A test that uses the ``redis_server`` fixture is marked ``redis`` here; every other marker
is written on the test or its module. What a test starts is watched (``subprocess.Popen``,
through which ``subprocess.run``, Selenium and asyncio start theirs): a test that starts a
process without the marker it needs fails, naming it. (A process a module's fixture starts
is seen by the first test that uses it: mark the module.)
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Generator
from typing import Any

import pytest

#: The markers that name a tool; each implies ``subprocess``.
TOOLS = ("redis", "browser", "npm")
#: A program's name -> the marker a test that starts it needs (besides ``subprocess``).
_NEEDS = {
    "redis-server": "redis",
    "chromedriver": "browser",
    "chromium": "browser",
    "google-chrome": "browser",
    "node": "npm",
    "npm": "npm",
    "prism": "npm",
}
_started: list[str] = []


def _program(args: Any) -> str:
    first = shlex.split(args)[0] if isinstance(args, str) else os.fspath(next(iter(args)))
    return os.path.basename(str(first))


def _watch(config: pytest.Config) -> None:
    original = subprocess.Popen.__init__

    def watched(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            _started.append(_program(args[0] if args else kwargs["args"]))
        except (IndexError, KeyError, TypeError, ValueError):
            _started.append("?")
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = watched  # type: ignore[method-assign]
    config.add_cleanup(lambda: setattr(subprocess.Popen, "__init__", original))


def pytest_configure(config: pytest.Config) -> None:
    _watch(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
        tool = any(item.get_closest_marker(name) for name in TOOLS)
        if tool and item.get_closest_marker("subprocess") is None:
            item.add_marker(pytest.mark.subprocess)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _started.clear()


def missing_markers(item: pytest.Item, programs: list[str]) -> list[str]:
    """The markers ``item`` lacks for having started ``programs``."""
    if not programs:
        return []
    needed = {"subprocess"} | {_NEEDS[p] for p in programs if p in _NEEDS}
    return sorted(name for name in needed if item.get_closest_marker(name) is None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    outcome = yield  # a failure of the test itself comes first (it is raised here)
    missing = missing_markers(item, sorted(set(_started)))
    if missing:
        marks = ", ".join(f"@pytest.mark.{name}" for name in missing)
        pytest.fail(
            f"this test started {', '.join(sorted(set(_started)))} but is not marked {marks} "
            "(on the test, or pytestmark on its module): see tests/helpers/markers.py",
            pytrace=False,
        )
    return outcome
