"""All of the mock's mutable state, behind one small interface.

Quotas, rate windows, sequence and ``times`` counters, the orderid counter, the journal and
the billing ledger live in a :class:`Store`. Every operation is one atomic step, chosen so
that a shared backend can implement each as ONE Redis command or Lua script and let several
worker processes or hosts serve one scenario with exact counts:

- ``incr(key, amount, ttl_s)``: ``INCRBY`` (+ ``EXPIRE key ttl NX``)
- ``get(key)``: ``GET`` (missing → 0)
- ``take_if_below(key, limit)``: Lua ``if GET < limit then INCR; return 1 else return 0``
- ``window_hit(key, window_s, limit, now)``: ``INCR key@<bucket>`` + ``EXPIRE``, compare
- ``settle(entry, bill, quota, refused)``: one request's quota unit, bill and journal entry
  in ONE step (a Lua script), so that a worker killed at any moment leaves the quota taken,
  the ledger and the journal agreeing
- ``journal_append(entry)``: ``XADD MAXLEN``
- ``journal_list()`` / ``journal_clear()``: ``XRANGE`` / ``DEL``
- ``ledger_add(key_fp, code)``: a Lua script (the ledger's bound needs a test and a count)
- ``ledger_snapshot()``: ``HGETALL``
- ``take_if_all_below(claims, ttl_s)``: Lua: every counter below its limit, then each + 1
- ``cache_get(key, now)`` / ``cache_put(key, value, ttl_s, now)``: ``GET`` / ``SET PX``
- ``claim(key, ttl_s, now)`` / ``release(key)``: ``SET NX PX`` / ``DEL``
- ``reset()``: ``DEL`` every key of the namespace except the orderid counters, the kept
  counters and the cache

Keys are plain strings chosen by the engine (``quota:<digest>``, ``times:<rule>``, ...). The
orderid counters (keys starting with :data:`ORDERID_PREFIX`) survive :meth:`Store.reset`,
because an orderid must stay unique for the server's whole life; so do the counters under
:data:`KEPT_PREFIX` (the guard proxy's spend: money spent stays spent) and the cache (the
proxy's answers, kept for their time to live: a reset must not make anyone pay again).

The ledger is bounded: it counts :data:`DEFAULT_LEDGER_KEYS` key fingerprints one by one
(the first met), and every bill of a key beyond them in one :data:`OTHER_KEYS` bucket, so
``billable`` and the sum of ``by_key`` stay equal however many keys call.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_JOURNAL_SIZE",
    "DEFAULT_LEDGER_KEYS",
    "KEPT_PREFIX",
    "MAX_CACHE_ENTRIES",
    "ORDERID_PREFIX",
    "OTHER_KEYS",
    "InMemoryStore",
    "StateLost",
    "StateUnavailable",
    "Store",
    "failures_of",
]

#: Counters under this prefix are never cleared by ``reset()``.
ORDERID_PREFIX = "orderid:"
#: Nor are these: what must outlive a reset (the guard proxy's spend per day and month).
KEPT_PREFIX = "kept:"
#: The most answers an in-memory cache holds; the oldest go first (Redis: its own memory).
MAX_CACHE_ENTRIES = 100_000
#: How many requests the journal keeps (newest last); older entries drop off.
DEFAULT_JOURNAL_SIZE = 1000
#: How many key fingerprints the ledger counts one by one.
DEFAULT_LEDGER_KEYS = 1000
#: The ledger's ``by_key`` bucket for the keys beyond those (never a fingerprint: not hex).
OTHER_KEYS = "(other keys)"

#: A bill: (key fingerprint, tenure code). A quota: (counter, limit).
Bill = tuple[str, str]
Quota = tuple[str, int]


class StateUnavailable(Exception):
    """The state cannot be reached or used (the message never holds a password)."""


class StateLost(StateUnavailable):
    """The shared state is gone (Redis restarted empty or was flushed): every count since
    would be wrong, so the store refuses to go on until ``reset()`` starts afresh."""


def failures_of(store: object) -> tuple[type[Exception], ...]:
    """The exceptions that mean ``store`` failed to keep the state: :class:`StateUnavailable`
    and whatever the store declares in its ``failures`` attribute (a Redis store: Redis's
    errors). The web layer answers each with a 503; it never needs to know the backend."""
    declared: tuple[type[Exception], ...] = getattr(store, "failures", ())
    return (StateUnavailable, *declared)


@runtime_checkable
class Store(Protocol):
    """The mock's state. Every method is atomic and safe to call from many threads."""

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        """Add ``amount`` to a counter (missing = 0) and return the new value.

        :param ttl_s: if given, the counter may be forgotten ``ttl_s`` seconds after it was
            created (used for orderid seconds, which are never read again).
        """
        ...

    def get(self, key: str) -> int:
        """The counter's value; 0 if it was never incremented."""
        ...

    def take_if_below(self, key: str, limit: int) -> bool:
        """If the counter is below ``limit``, add 1 and return True; else change nothing."""
        ...

    def window_hit(self, key: str, window_s: float, limit: int, now: float) -> bool:
        """Count one hit in the fixed window of ``window_s`` seconds holding ``now``.

        :returns: whether this hit is within ``limit`` hits for that window.
        """
        ...

    def settle(
        self,
        entry: Mapping[str, Any],
        bill: Bill | None = None,
        quota: Quota | None = None,
        refused: Mapping[str, Any] | None = None,
    ) -> bool:
        """One request's state in one atomic step.

        With ``quota`` (counter, limit): take one unit if the counter is below the limit;
        if it is not, change no counter, bill nothing and journal ``refused`` instead of
        ``entry``. Otherwise record ``bill`` (if any) in the ledger and append ``entry``.

        :returns: whether the quota unit was taken (True when no quota was asked).
        """
        ...

    def journal_append(self, entry: Mapping[str, Any]) -> None:
        """Append one request to the journal (a bounded ring buffer, newest last)."""
        ...

    def journal_list(self) -> list[dict[str, Any]]:
        """A copy of the journal, oldest first."""
        ...

    def journal_clear(self) -> None:
        """Empty the journal."""
        ...

    def ledger_add(self, key_fp: str, code: str) -> None:
        """Record one billable answer (``error_code`` 0) for a key fingerprint and tenure code."""
        ...

    def ledger_snapshot(self) -> dict[str, Any]:
        """``{"billable": N, "by_key": {fp: n}, "by_code": {code: n}}``."""
        ...

    def take_if_all_below(
        self, claims: Sequence[tuple[str, int]], ttl_s: float | None = None
    ) -> int | None:
        """If every counter is below its limit, add 1 to each (one atomic step) and return
        None; otherwise change nothing and return the index of the first at its limit.

        :param ttl_s: a counter made here may be forgotten that long after (Redis only).
        """
        ...

    def cache_get(self, key: str, now: float) -> str | None:
        """The cached value, or None when there is none or its time to live is over."""
        ...

    def cache_put(self, key: str, value: str, ttl_s: float, now: float) -> None:
        """Cache ``value`` for ``ttl_s`` seconds from ``now``."""
        ...

    def claim(self, key: str, ttl_s: float, now: float) -> bool:
        """Take ``key`` if no one holds it (a hold lapses after ``ttl_s``); whether taken."""
        ...

    def release(self, key: str) -> None:
        """Give a claimed ``key`` back."""
        ...

    def reset(self) -> None:
        """Clear counters, windows, journal, ledger and claims; keep the orderid and kept
        counters and the cache."""
        ...


class InMemoryStore:
    """A :class:`Store` in this process's memory, guarded by one lock.

    Every operation is a handful of dict operations under the lock, so contention stays
    low even with many server threads.
    """

    def __init__(
        self, journal_size: int = DEFAULT_JOURNAL_SIZE, ledger_keys: int = DEFAULT_LEDGER_KEYS
    ) -> None:
        if journal_size < 1:
            raise ValueError("journal_size must be at least 1")
        if ledger_keys < 1:
            raise ValueError("ledger_keys must be at least 1")
        self._ledger_keys = ledger_keys
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._expiry: dict[str, float] = {}
        self._journal: deque[dict[str, Any]] = deque(maxlen=journal_size)
        self._billable = 0
        self._by_key: dict[str, int] = {}
        self._by_code: dict[str, int] = {}
        # The current bucket of each rate window, so that old buckets can be dropped; once
        # there are this many windows (one per client IP), those of past windows go.
        self._windows: dict[str, tuple[str, int]] = {}
        self._sweep_at = 1024
        self._cache: dict[str, tuple[str, float]] = {}  # key -> (value, until)
        self._claims: dict[str, float] = {}  # key -> until

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        with self._lock:
            value = self._counters.get(key, 0) + amount
            self._counters[key] = value
            if ttl_s is not None and key not in self._expiry:
                self._expiry[key] = ttl_s
                self._forget_expired(key)
            return value

    def _forget_expired(self, newest: str) -> None:
        # Counters with a ttl are orderid seconds, never read again once their second is
        # over. Rather than keep a clock, keep only the 32 newest once there are 64.
        if len(self._expiry) > 64:
            for old in list(self._expiry)[:-32]:
                if old != newest:
                    self._expiry.pop(old, None)
                    self._counters.pop(old, None)

    def get(self, key: str) -> int:
        with self._lock:
            return self._counters.get(key, 0)

    def take_if_below(self, key: str, limit: int) -> bool:
        with self._lock:
            value = self._counters.get(key, 0)
            if value >= limit:
                return False
            self._counters[key] = value + 1
            return True

    def window_hit(self, key: str, window_s: float, limit: int, now: float) -> bool:
        index = int(now // window_s)
        bucket = f"{key}@{index}"
        with self._lock:
            old = self._windows.get(key)
            if old is None or old[0] != bucket:
                # A new window: forget the previous one's count.
                if old is not None:
                    self._counters.pop(old[0], None)
                elif len(self._windows) >= self._sweep_at:
                    self._sweep_windows(index)
                self._windows[key] = (bucket, index)
            value = self._counters.get(bucket, 0) + 1
            self._counters[bucket] = value
            return value <= limit

    def _sweep_windows(self, index: int) -> None:
        # Many client IPs, each seen once: their windows are over and never read again.
        for key, (bucket, held) in list(self._windows.items()):
            if held < index:
                del self._windows[key]
                self._counters.pop(bucket, None)
        self._sweep_at = max(1024, 2 * len(self._windows))

    def settle(
        self,
        entry: Mapping[str, Any],
        bill: Bill | None = None,
        quota: Quota | None = None,
        refused: Mapping[str, Any] | None = None,
    ) -> bool:
        with self._lock:
            if quota is not None:
                counter, limit = quota
                value = self._counters.get(counter, 0)
                if value >= limit:
                    self._journal.append(dict(refused if refused is not None else entry))
                    return False
                self._counters[counter] = value + 1
            if bill is not None:
                self._bill(*bill)
            self._journal.append(dict(entry))
            return True

    def _bill(self, key_fp: str, code: str) -> None:
        by_key = self._by_key
        if key_fp not in by_key and len(by_key) - (OTHER_KEYS in by_key) >= self._ledger_keys:
            key_fp = OTHER_KEYS
        self._billable += 1
        by_key[key_fp] = by_key.get(key_fp, 0) + 1
        self._by_code[code] = self._by_code.get(code, 0) + 1

    def take_if_all_below(
        self, claims: Sequence[tuple[str, int]], ttl_s: float | None = None
    ) -> int | None:
        # No time to live here: the counters are a few per day (the ttl mechanism above is
        # for orderid seconds, and would forget these).
        with self._lock:
            for i, (key, limit) in enumerate(claims):
                if self._counters.get(key, 0) >= limit:
                    return i
            for key, _ in claims:
                self._counters[key] = self._counters.get(key, 0) + 1
            return None

    def cache_get(self, key: str, now: float) -> str | None:
        with self._lock:
            held = self._cache.get(key)
            if held is None:
                return None
            if now >= held[1]:
                del self._cache[key]
                return None
            return held[0]

    def cache_put(self, key: str, value: str, ttl_s: float, now: float) -> None:
        with self._lock:
            self._cache.pop(key, None)  # to the end: the oldest entries are first
            if len(self._cache) >= MAX_CACHE_ENTRIES:  # full: the expired go, then the oldest
                self._cache = {k: held for k, held in self._cache.items() if held[1] > now}
                excess = len(self._cache) - MAX_CACHE_ENTRIES * 9 // 10
                for old in list(itertools.islice(self._cache, max(0, excess))):
                    del self._cache[old]
            self._cache[key] = (value, now + ttl_s)

    def claim(self, key: str, ttl_s: float, now: float) -> bool:
        with self._lock:
            until = self._claims.get(key)
            if until is not None and now < until:
                return False
            self._claims[key] = now + ttl_s
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)

    def journal_append(self, entry: Mapping[str, Any]) -> None:
        with self._lock:
            self._journal.append(dict(entry))

    def journal_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._journal]

    def journal_clear(self) -> None:
        with self._lock:
            self._journal.clear()

    def ledger_add(self, key_fp: str, code: str) -> None:
        with self._lock:
            self._bill(key_fp, code)

    def ledger_snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "billable": self._billable,
                "by_key": dict(self._by_key),
                "by_code": dict(self._by_code),
            }

    def reset(self) -> None:
        with self._lock:
            kept = {
                k: v
                for k, v in self._counters.items()
                if k.startswith((ORDERID_PREFIX, KEPT_PREFIX))
            }
            self._counters = kept
            self._expiry = {k: v for k, v in self._expiry.items() if k in kept}
            self._windows.clear()
            self._claims.clear()
            self._journal.clear()
            self._billable = 0
            self._by_key = {}
            self._by_code = {}
