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
        # The current second's orderid prefix and counter name, made once per second.
        self._stamp: tuple[int, str, str] = (-1, "", "")

    def _second(self, second: int) -> tuple[int, str, str]:
        cached = self._stamp
        if cached[0] != second:
            text = "J" + datetime.fromtimestamp(second, BEIJING).strftime("%Y%m%d%H%M%S")
            cached = self._stamp = (second, text, f"{ORDERID_PREFIX}{second}")
        return cached

    def next(self) -> str:
        second = int(self._clock())
        if second < self._floor:
            second = self._floor
        while True:
            cached = self._stamp
            _, prefix, counter = cached if cached[0] == second else self._second(second)
            n = self._store.incr(counter, ttl_s=3600)
            if n <= ORDERIDS_PER_SECOND:
                return f"{prefix}{n - 1:04d}"
            second += 1
            with self._lock:
                self._floor = max(self._floor, second)
