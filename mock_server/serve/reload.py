"""Reloading the scenario files while serving: ``juhe-mock --watch`` and ``SIGHUP``.

With ``--watch`` the loop looks at every scenario file's size, modification time and inode
every :data:`WATCH_INTERVAL_S` and reloads once a change has settled (the same on two looks
in a row, so that a file still being written is not read half-way). ``SIGHUP`` reloads on
demand, changed or not. A reload reads and validates every file again, off the loop:

- a file that cannot be used is refused with the line ``juhe-mock`` would exit with
  (``FILE: $.path: why``), logged on stderr, and the scenario in force stays;
- good files replace the scenario at once (:meth:`MockRuntime.reload`): a request is
  answered by the old scenario or the new one, never a mix. The journal, the ledger,
  quota and orderid counters stay, as a ``PUT /__admin/scenarios`` keeps them; changes
  made over the admin API since are replaced by the files; ``reset`` goes back to them.

One process only: with ``--workers N`` each worker holds its own copy of the scenario, so
``--watch`` is refused (exit 2) and ``SIGHUP`` is ignored with a line saying why.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from ..config import ScenarioSource
from ..runtime import MockRuntime, compile_source
from ..scenario.errors import ConfigError
from .logs import SERVE_LOG

__all__ = ["WATCH_INTERVAL_S", "WORKERS_REFUSAL", "Reloader"]

#: How often ``--watch`` looks at the files (a stat each; nothing is read unless changed).
WATCH_INTERVAL_S = 0.5
#: Why ``--watch`` and ``SIGHUP`` do not reload with several workers.
WORKERS_REFUSAL = (
    "with --workers {n} each worker holds its own copy of the scenario and a reload would "
    "reach them one by one; use --workers 1 to reload, or restart juhe-mock after a change"
)

#: One file's look: (inode, size, modification time in ns), or None when it cannot be seen.
Look = tuple[int, int, int] | None


def _look(source: ScenarioSource) -> Look:
    if not isinstance(source, (str, Path)):
        return None  # a document given in Python does not change on disk
    try:
        seen = os.stat(source)
    except OSError:
        return None
    return (seen.st_ino, seen.st_size, seen.st_mtime_ns)


class Reloader:
    """Reloads ``runtime``'s scenario files; :meth:`watch` runs on the serving loop."""

    def __init__(self, runtime: MockRuntime) -> None:
        self.runtime = runtime
        self.sources: Sequence[ScenarioSource] = tuple(runtime.config.scenarios)
        self.files = [str(s) for s in self.sources if isinstance(s, (str, Path))]
        self._served = self._looks()
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        #: Reloads done and refused so far (for the tests and the log).
        self.done = self.refused = 0

    def _looks(self) -> tuple[Look, ...]:
        return tuple(_look(source) for source in self.sources)

    def reload_now(self, why: str) -> bool:
        """Read and validate every file, then serve them; False (and a log line) when one
        cannot be used, and the scenario in force stays. Blocking: call off the loop."""
        looks = self._looks()
        try:
            parts = [
                compile_source(source, f"scenario #{i + 1}")
                for i, source in enumerate(self.sources)
            ]
            engine_ready = self.runtime.prepare(parts)
        except Exception as error:  # a ConfigError names file, field and why
            self.refused += 1
            self._served = looks  # the same broken file is not read again until it changes
            problem = str(error) if isinstance(error, ConfigError) else repr(error)
            SERVE_LOG.error(
                "juhe-mock: reload refused: %s; still serving the last good scenario", problem
            )
            return False
        self.runtime.reload(parts, engine_ready)
        self._served = looks
        self.done += 1
        rules = len(self.runtime.engine.scenario.rules)
        what = ", ".join(self.files) or "no scenario files (the built-in defaults)"
        SERVE_LOG.info("juhe-mock: reloaded (%s): %s; rules: %d", why, what, rules)
        return True

    async def reload(self, why: str) -> bool:
        """:meth:`reload_now` on a thread, one reload at a time."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, self.reload_now, why)

    def on_signal(self) -> None:
        """SIGHUP (on the loop): reload now, changed or not."""
        task = asyncio.get_running_loop().create_task(self.reload("SIGHUP"))
        self._tasks.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def watch(self, interval: float = WATCH_INTERVAL_S) -> None:
        """Reload whenever a file has changed and settled; runs until cancelled."""
        if self.files:
            SERVE_LOG.info("juhe-mock: watching %s for changes", ", ".join(self.files))
        else:
            SERVE_LOG.info("juhe-mock: --watch: no scenario files to watch")
            return
        pending: tuple[Look, ...] | None = None
        while True:
            await asyncio.sleep(interval)
            looks = self._looks()
            if looks == self._served:
                pending = None
            elif looks == pending:  # changed, and the same as a look ago: settled
                pending = None
                await self.reload("changed")
            else:
                pending = looks
