"""Orderids: ``"J"`` + Beijing yyyyMMddHHmmss + 4 digits, unique for the server's whole life."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from contract.clock import BEIJING

from .store import ORDERID_PREFIX, Store

__all__ = ["ORDERIDS_PER_SECOND", "OrderIds"]

#: Four digits after the second: the most ids one wall-clock second can name.
ORDERIDS_PER_SECOND = 10_000


class OrderIds:
    """``"J"`` + Beijing yyyyMMddHHmmss + 4 digits, unique for the server's whole life.

    One atomic increment per call on the counter of the current second. When a second's
    10,000 ids are used up, the clock runs on logically into the next second (the stamp
    then runs slightly ahead of the wall clock until the load drops), so ids stay unique
    and well-formed under any load, across workers sharing the store.
    """

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._floor = 0  # the first second that may still have ids left (a local hint)
        self._lock = threading.Lock()
        self._stamp: tuple[int, str] = (-1, "")

    def _prefix(self, second: int) -> str:
        cached = self._stamp
        if cached[0] == second:
            return cached[1]
        text = "J" + datetime.fromtimestamp(second, BEIJING).strftime("%Y%m%d%H%M%S")
        self._stamp = (second, text)
        return text

    def next(self) -> str:
        second = max(int(self._clock()), self._floor)
        while True:
            n = self._store.incr(f"{ORDERID_PREFIX}{second}", ttl_s=3600)
            if n <= ORDERIDS_PER_SECOND:
                return f"{self._prefix(second)}{n - 1:04d}"
            second += 1
            with self._lock:
                self._floor = max(self._floor, second)
