"""Orderid lanes: unique orderids from several workers that share no state.

With ``juhe-mock --workers N`` and memory state each worker counts orderids on its own;
a lane per worker keeps their ids apart without any shared counter (see
:class:`LaneStore`). With ``--state redis://...`` the counter is shared instead and no
lane is needed.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .store import ORDERID_PREFIX, Bill, InMemoryStore, Quota

__all__ = ["LaneStore", "claim_lane"]

#: More than any second's worth of orderids: tells OrderIds to move to the next second.
_SECOND_USED_UP = 1_000_000_000


class LaneStore:
    """An in-memory store whose orderid counters cannot collide with other workers'.

    Worker ``lane`` of ``lanes`` hands out only the counter values ``lane + 1``,
    ``lane + 1 + lanes``, ... of each second, so N workers' ids never meet. The lane is held
    by an exclusive ``flock`` on a file for the worker's life (the kernel frees it when the
    worker dies, however it dies); the file keeps the last second the lane used, written
    before the lane's first id of each second, so a respawned worker never reuses a second
    its predecessor began.
    """

    def __init__(self, inner: InMemoryStore, lane_dir: str, lanes: int) -> None:
        self._inner = inner
        self._lanes = lanes
        self._dir = lane_dir
        # The lane is claimed by the process that first hands out an orderid: a store made
        # in the master before granian forks its workers is claimed by each worker.
        self._pid = -1
        self._lock = threading.Lock()
        self._lane = -1
        self._fd = -1
        self._used = self._written = 0

    def _claim(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._lane, self._fd = claim_lane(self._dir, self._lanes)
            raw = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip()
            self._used = int(raw) if raw.isdigit() else 0  # seconds up to this one are spent
            self._written = self._used
            self._pid = os.getpid()

    @property
    def lane(self) -> int:
        """This process's lane (claimed now if it has none yet)."""
        if self._pid != os.getpid():
            self._claim()
        return self._lane

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        if not key.startswith(ORDERID_PREFIX):
            return self._inner.incr(key, amount, ttl_s)
        if self._pid != os.getpid():
            self._claim()
        second = int(key[len(ORDERID_PREFIX) :])
        if second <= self._used:
            return _SECOND_USED_UP
        if second > self._written:
            os.pwrite(self._fd, f"{second:<20d}".encode("ascii"), 0)
            self._written = second
        n = self._inner.incr(key, amount, ttl_s)
        return (n - 1) * self._lanes + self._lane + 1

    def get(self, key: str) -> int:
        return self._inner.get(key)

    def take_if_below(self, key: str, limit: int) -> bool:
        return self._inner.take_if_below(key, limit)

    def window_hit(self, key: str, window_s: float, limit: int, now: float) -> bool:
        return self._inner.window_hit(key, window_s, limit, now)

    def settle(
        self,
        entry: Mapping[str, Any],
        bill: Bill | None = None,
        quota: Quota | None = None,
        refused: Mapping[str, Any] | None = None,
    ) -> bool:
        return self._inner.settle(entry, bill, quota, refused)

    def journal_append(self, entry: Mapping[str, Any]) -> None:
        self._inner.journal_append(entry)

    def journal_list(self) -> list[dict[str, Any]]:
        return self._inner.journal_list()

    def journal_clear(self) -> None:
        self._inner.journal_clear()

    def ledger_add(self, key_fp: str, code: str) -> None:
        self._inner.ledger_add(key_fp, code)

    def ledger_snapshot(self) -> dict[str, Any]:
        return self._inner.ledger_snapshot()

    def take_if_all_below(
        self, claims: Sequence[tuple[str, int]], ttl_s: float | None = None
    ) -> int | None:
        return self._inner.take_if_all_below(claims, ttl_s)

    def cache_get(self, key: str, now: float) -> str | None:
        return self._inner.cache_get(key, now)

    def cache_put(self, key: str, value: str, ttl_s: float, now: float) -> None:
        self._inner.cache_put(key, value, ttl_s, now)

    def claim(self, key: str, ttl_s: float, now: float) -> bool:
        return self._inner.claim(key, ttl_s, now)

    def release(self, key: str) -> None:
        self._inner.release(key)

    def reset(self) -> None:
        self._inner.reset()

    def close(self) -> None:
        """Give the lane up (a worker that dies gives it up without this)."""
        if self._pid == os.getpid():
            os.close(self._fd)
            self._pid = -1


def claim_lane(lane_dir: str, lanes: int, wait_s: float = 5.0) -> tuple[int, int]:
    deadline = time.monotonic() + wait_s
    while True:
        for lane in range(lanes):
            fd = os.open(os.path.join(lane_dir, f"lane-{lane}"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return lane, fd
        if time.monotonic() > deadline:
            raise RuntimeError(f"no free orderid lane among {lanes} in {lane_dir}")
        time.sleep(0.05)  # a replaced worker may not have released its lane yet
