"""A :class:`~mock_server.state.store.Store` in Redis, so several workers and hosts share one state.

Every operation is ONE round trip and atomic in Redis: a single command, a ``MULTI``
pipeline or a Lua script (registered once, then called by ``EVALSHA``):

- counters: ``INCRBY`` (a Lua script when the counter also gets a time to live), ``GET``;
- ``take_if_below``: a Lua script (compare and increment in one step, so a quota of N gives
  exactly N successes whatever the number of workers);
- ``window_hit``: a Lua script (``INCR`` of the window's bucket + ``PEXPIRE`` when new);
- ``settle``: ONE Lua script per request: the quota unit, the bill (``INCR`` billable, two
  ``HINCRBY``) and the journal's ``XADD``, so that a worker killed at any moment leaves the
  quota taken, the ledger and the journal agreeing;
- the journal: a capped stream (``XADD MAXLEN = size``, exact), read by ``XRANGE``;
- the ledger: bounded to ``ledger_keys`` fingerprints plus one bucket for the rest (a Lua
  script decides where a bill goes); read in one ``MULTI``, so a snapshot is consistent;
- ``take_if_all_below``: a Lua script (every counter compared, then each incremented, and
  the namespace marker checked: a wiped Redis refuses rather than forgets what was spent);
- the cache and claims: ``GET`` / ``SET PX``, ``SET NX PX`` / ``DEL``;
- ``reset``: a Lua script that deletes every key of the namespace but the orderid and kept
  counters and the cache.

Redis trouble is answered, never waited out: each command and connection attempt times out
after ``timeout_s`` (raised as Redis's ``TimeoutError``; the web layer answers a 503), and a
command is retried once only on a dropped connection, never after a timeout. A namespace
marker key, written when the store is made and by ``reset``, tells a wiped Redis (restarted
without persistence, flushed) from a live one: without it, ``settle`` and the admin reads
raise :class:`StateLost` (a 503 saying so) until ``reset()`` starts afresh.

Every key lives under ``juhe-mock:<namespace>:``. Replicas of ONE mock share a namespace
(the default is ``default``); independent mocks sharing one Redis each take their own.
The ``redis`` package is imported only when a RedisStore is made (``pip install
'juhe-tenure-toolkit[redis]'``), so the rest of the mock never needs it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contract.bodies import wire_json

from .redis_scripts import (
    BILL,
    INCR_TTL,
    RESET,
    SETTLE,
    TAKE_ALL,
    TAKE_IF_BELOW,
    WINDOW_HIT,
)
from .store import (
    DEFAULT_JOURNAL_SIZE,
    DEFAULT_LEDGER_KEYS,
    KEPT_PREFIX,
    ORDERID_PREFIX,
    Bill,
    Quota,
    StateLost,
    StateUnavailable,
)

__all__ = ["DEFAULT_NAMESPACE", "DEFAULT_TIMEOUT_S", "RedisStore", "StateUnavailable", "redact_url"]

DEFAULT_NAMESPACE = "default"
#: How long one Redis command or connection attempt may take before the request gets a 503.
DEFAULT_TIMEOUT_S = 1.0
_LOG = logging.getLogger("mock_server.state")
_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, fit for a message or a log line."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


class RedisStore:
    """The mock's state in Redis under one namespace; safe across threads and processes.

    :param url: ``redis://HOST:PORT/DB`` (also ``rediss://`` and ``unix://``).
    :param namespace: the instance's name; letters, digits, ``_ . -`` (64 at most).
    :param journal_size: how many requests the journal stream keeps.
    :param ledger_keys: how many key fingerprints the ledger counts one by one.
    :param timeout_s: the longest one command or connection attempt may take.
    :param orderid_block: reserve this many orderid numbers of a second at once (one
        ``INCRBY``) and hand them out from this process: still unique across workers and
        hosts, but no longer in call order, and a few per second may go unused.
        ``juhe-mock`` reserves 16.
    :raises StateUnavailable: if the URL is bad or Redis does not answer a ``PING``.
    """

    def __init__(
        self,
        url: str,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
        ledger_keys: int = DEFAULT_LEDGER_KEYS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        orderid_block: int = 1,
    ) -> None:
        for name, value in (("journal_size", journal_size), ("ledger_keys", ledger_keys),
                            ("orderid_block", orderid_block)):  # fmt: skip
            if value < 1:
                raise ValueError(f"{name} must be at least 1")
        if not timeout_s > 0:
            raise ValueError("timeout_s must be above 0")
        if _NAMESPACE.fullmatch(namespace) is None:
            raise ValueError(
                f"namespace {namespace!r}: use 1-64 letters, digits, '_', '.' or '-' "
                "(starting with a letter or digit)"
            )
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as error:  # the redis extra is not installed
            raise StateUnavailable(
                "shared state needs the redis package: pip install 'juhe-tenure-toolkit[redis]'"
            ) from error
        self.url = redact_url(url)
        self.namespace = namespace
        self.journal_size = journal_size
        self.ledger_keys = ledger_keys
        self._prefix = f"juhe-mock:{namespace}:"
        self._marker = self._prefix + "state"
        self._journal = self._prefix + "journal"
        self._billable = self._prefix + "ledger:billable"
        self._by_key = self._prefix + "ledger:by_key"
        self._by_code = self._prefix + "ledger:by_code"
        self._ledger = [self._marker, self._billable, self._by_key, self._by_code]
        self._block = orderid_block
        self._blocks: dict[str, tuple[int, int]] = {}  # orderid key -> (next, end)
        self._blocks_lock = threading.Lock()
        self._lost_logged = False
        try:
            self._redis: Any = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=timeout_s,
                socket_timeout=timeout_s,
                # Once, at once, and only for a connection found dropped (Redis restarted):
                # redis-py's default retries a timeout ten times with backoff, so a paused
                # Redis held every request for many times the timeout.
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
                health_check_interval=30,
            )
            self._redis.set(self._marker, self._marker_value(), nx=True)
        except (ValueError, redis.RedisError) as error:
            raise StateUnavailable(f"cannot use Redis at {self.url}: {error}") from None
        #: What this store raises when Redis fails mid-run; the web layer answers them (and
        #: StateUnavailable) with a 503 (``mock_server.web.app``).
        self.failures: tuple[type[Exception], ...] = (redis.RedisError,)
        self._incr_ttl = self._redis.register_script(INCR_TTL)
        self._take = self._redis.register_script(TAKE_IF_BELOW)
        self._window = self._redis.register_script(WINDOW_HIT)
        self._bill_script = self._redis.register_script(BILL)
        self._settle = self._redis.register_script(SETTLE)
        self._take_all = self._redis.register_script(TAKE_ALL)
        self._reset = self._redis.register_script(RESET)

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, namespace={self.namespace!r})"

    @staticmethod
    def _marker_value() -> str:
        return json.dumps({"since": round(time.time(), 3)})

    def _lost(self) -> StateLost:
        error = StateLost(
            f"the state in Redis at {self.url} (namespace {self.namespace!r}) is gone: Redis "
            "lost its data (restarted without persistence, or flushed), so every count since "
            "would be wrong; POST /__admin/reset starts afresh"
        )
        if not self._lost_logged:  # loud once per process; every request still gets a 503
            self._lost_logged = True
            _LOG.error("%s", error)
        return error

    def _counter(self, key: str) -> str:
        return self._prefix + "c:" + key

    # --- counters -----------------------------------------------------------------------

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        if self._block > 1 and amount == 1 and key.startswith(ORDERID_PREFIX):
            return self._next_orderid(key, ttl_s)
        if ttl_s is None:
            return _int(self._redis.incrby(self._counter(key), amount))
        ttl_ms = max(1, int(ttl_s * 1000))
        return _int(self._incr_ttl(keys=[self._counter(key)], args=[amount, ttl_ms]))

    def _next_orderid(self, key: str, ttl_s: float | None) -> int:
        with self._blocks_lock:
            start, end = self._blocks.get(key, (0, 0))
            if start < end:
                self._blocks[key] = (start + 1, end)
                return start
        ttl_ms = max(1, int((ttl_s or 3600) * 1000))
        high = _int(self._incr_ttl(keys=[self._counter(key)], args=[self._block, ttl_ms]))
        first = high - self._block + 1
        with self._blocks_lock:
            # Two threads may both reserve: the later block wins, the other's rest goes
            # unused. Numbers are never handed out twice either way.
            self._blocks[key] = (first + 1, high + 1)
            if len(self._blocks) > 8:  # only the current second or two are ever asked for
                for old in sorted(self._blocks)[:-4]:
                    del self._blocks[old]
        return first

    def get(self, key: str) -> int:
        return _int(self._redis.get(self._counter(key)))

    def take_if_below(self, key: str, limit: int) -> bool:
        return _int(self._take(keys=[self._counter(key)], args=[limit])) == 1

    def window_hit(self, key: str, window_s: float, limit: int, now: float) -> bool:
        bucket = f"{key}@{int(now // window_s)}"
        # Keep the bucket two windows long: long enough for its own window, then forgotten.
        keep_ms = max(1000, int(window_s * 2000))
        return _int(self._window(keys=[self._counter(bucket)], args=[limit, keep_ms])) == 1

    # --- one request, journal, ledger ---------------------------------------------------

    def settle(
        self,
        entry: Mapping[str, Any],
        bill: Bill | None = None,
        quota: Quota | None = None,
        refused: Mapping[str, Any] | None = None,
    ) -> bool:
        counter, limit = (self._counter(quota[0]), str(quota[1])) if quota else (self._marker, "")
        fp, code = bill if bill is not None else ("", "")
        data = wire_json(dict(entry)).decode("utf-8")
        other = wire_json(dict(refused)).decode("utf-8") if refused is not None else data
        done = _int(
            self._settle(
                keys=[*self._ledger, self._journal, counter],
                args=[fp, code, self.ledger_keys, self.journal_size, data, limit, other],
            )
        )
        if done < 0:
            raise self._lost()
        return done == 1

    def journal_append(self, entry: Mapping[str, Any]) -> None:
        data = wire_json(dict(entry)).decode("utf-8")
        # An exact MAXLEN (not "~") keeps the bound the same as the in-memory ring buffer.
        self._redis.xadd(self._journal, {"e": data}, maxlen=self.journal_size, approximate=False)

    def journal_list(self) -> list[dict[str, Any]]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.exists(self._marker)
        pipe.xrange(self._journal)
        present, entries = pipe.execute()
        if not present:
            raise self._lost()
        return [json.loads(fields["e"]) for _, fields in entries]

    def journal_clear(self) -> None:
        self._redis.delete(self._journal)

    def ledger_add(self, key_fp: str, code: str) -> None:
        self._bill_script(keys=self._ledger, args=[key_fp, code, self.ledger_keys])

    def ledger_snapshot(self) -> dict[str, Any]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.exists(self._marker)
        pipe.get(self._billable)
        pipe.hgetall(self._by_key)
        pipe.hgetall(self._by_code)
        present, billable, by_key, by_code = pipe.execute()
        if not present:
            raise self._lost()
        return {
            "billable": _int(billable),
            "by_key": {fp: int(n) for fp, n in by_key.items()},
            "by_code": {code: int(n) for code, n in by_code.items()},
        }

    # --- the guard proxy: spend, cache, claims -------------------------------------------

    def take_if_all_below(
        self, claims: Sequence[tuple[str, int]], ttl_s: float | None = None
    ) -> int | None:
        keys = [self._marker, *(self._counter(key) for key, _ in claims)]
        keep = "" if ttl_s is None else str(max(1, int(ttl_s * 1000)))
        found = _int(self._take_all(keys=keys, args=[keep, *(limit for _, limit in claims)]))
        if found < 0:
            raise self._lost()
        return None if found == 0 else found - 1

    def cache_get(self, key: str, now: float) -> str | None:
        value = self._redis.get(self._prefix + "cache:" + key)
        return None if value is None else str(value)

    def cache_put(self, key: str, value: str, ttl_s: float, now: float) -> None:
        self._redis.set(self._prefix + "cache:" + key, value, px=max(1, int(ttl_s * 1000)))

    def claim(self, key: str, ttl_s: float, now: float) -> bool:
        name = self._prefix + "claim:" + key
        return bool(self._redis.set(name, "1", nx=True, px=max(1, int(ttl_s * 1000))))

    def release(self, key: str) -> None:
        self._redis.delete(self._prefix + "claim:" + key)

    # --- lifecycle ----------------------------------------------------------------------

    def reset(self) -> None:
        """Clear the state (not the orderid or kept counters, nor the cache) and mark the
        namespace afresh: after Redis lost its data, this is what makes the store serve
        again."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self._prefix) + "*"
        keep = self._counter(ORDERID_PREFIX)
        self._reset(args=[pattern, keep, self._marker, self._marker_value(),
                          self._counter(KEPT_PREFIX), self._prefix + "cache:"])  # fmt: skip
        self._lost_logged = False

    def close(self) -> None:
        """Close this process's connections to Redis."""
        self._redis.close()
