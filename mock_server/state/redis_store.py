"""A :class:`~mock_server.state.store.Store` in Redis, so several workers and hosts share one state.

Every operation is ONE round trip and atomic in Redis: a single command, a ``MULTI``
pipeline or a Lua script (registered once, then called by ``EVALSHA``):

- counters: ``INCRBY`` (a Lua script when the counter also gets a time to live), ``GET``;
- ``take_if_below``: a Lua script (compare and increment in one step, so a quota of N gives
  exactly N successes whatever the number of workers);
- ``window_hit``: a Lua script (``INCR`` of the window's bucket + ``PEXPIRE`` when new);
- the journal: a capped stream (``XADD MAXLEN = size``, exact), read by ``XRANGE``;
- the ledger: ``INCRBY`` + two ``HINCRBY`` (per key fingerprint, per tenure code) in one
  ``MULTI``; read in one ``MULTI`` too, so a snapshot is consistent. With
  ``coalesce_bills`` (what ``juhe-mock`` uses) a bill rides in the ``MULTI`` of the same
  thread's next operation, the journal append of its own request, before the answer leaves:
  two round trips per billed answer instead of three;
- ``reset``: a Lua script that deletes every key of the namespace but the orderid counters.

Every key lives under ``juhe-mock:<namespace>:``. Replicas of ONE mock share a namespace
(the default is ``default``); independent mocks sharing one Redis each take their own.
The ``redis`` package is imported only when a RedisStore is made (``pip install
'juhe-tenure-toolkit[redis]'``), so the rest of the mock never needs it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contract.bodies import wire_json

from .store import DEFAULT_JOURNAL_SIZE, ORDERID_PREFIX, StateUnavailable

__all__ = ["DEFAULT_NAMESPACE", "RedisStore", "StateUnavailable", "redact_url"]

DEFAULT_NAMESPACE = "default"
_NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

# KEYS[1] counter; ARGV[1] amount, ARGV[2] time to live in ms (set when the counter is new).
_INCR_TTL = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""
# KEYS[1] counter; ARGV[1] limit. 1 = taken, 0 = the limit is reached (nothing changes).
_TAKE_IF_BELOW = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
"""
# KEYS[1] the window's bucket; ARGV[1] limit, ARGV[2] ms to keep the bucket.
_WINDOW_HIT = """
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if value <= tonumber(ARGV[1]) then return 1 end
return 0
"""
# ARGV[1] the namespace's glob, ARGV[2] the prefix of keys to keep. Scripts run atomically,
# so no request sees a half-reset state. Returns how many keys were deleted.
_RESET = """
local cursor, deleted = '0', 0
local keep = ARGV[2]
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if string.sub(key, 1, string.len(keep)) ~= keep then
      redis.call('DEL', key)
      deleted = deleted + 1
    end
  end
until cursor == '0'
return deleted
"""


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
    :param coalesce_bills: send each ``ledger_add`` with this thread's next operation (in
        the mock: the journal append of the same request, before its answer leaves), one
        round trip fewer per billed answer. Another thread's ``ledger_snapshot`` may then
        miss a bill whose request is still being answered. ``juhe-mock`` turns it on.
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
        connect_timeout_s: float = 2.0,
        coalesce_bills: bool = False,
        orderid_block: int = 1,
    ) -> None:
        if journal_size < 1:
            raise ValueError("journal_size must be at least 1")
        if _NAMESPACE.fullmatch(namespace) is None:
            raise ValueError(
                f"namespace {namespace!r}: use 1-64 letters, digits, '_', '.' or '-' "
                "(starting with a letter or digit)"
            )
        try:
            import redis
        except ImportError as error:  # the redis extra is not installed
            raise StateUnavailable(
                "shared state needs the redis package: pip install 'juhe-tenure-toolkit[redis]'"
            ) from error
        self.url = redact_url(url)
        self.namespace = namespace
        self.journal_size = journal_size
        self._prefix = f"juhe-mock:{namespace}:"
        self._journal = self._prefix + "journal"
        self._billable = self._prefix + "ledger:billable"
        self._by_key = self._prefix + "ledger:by_key"
        self._by_code = self._prefix + "ledger:by_code"
        self._coalesce = coalesce_bills
        if orderid_block < 1:
            raise ValueError("orderid_block must be at least 1")
        self._block = orderid_block
        self._blocks: dict[str, tuple[int, int]] = {}  # orderid key -> (next, end)
        self._blocks_lock = threading.Lock()
        self._local = threading.local()
        try:
            self._redis: Any = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=connect_timeout_s,
                socket_timeout=10.0,
                health_check_interval=30,
            )
            self._redis.ping()
        except (ValueError, redis.RedisError) as error:
            raise StateUnavailable(f"cannot use Redis at {self.url}: {error}") from None
        #: What this store raises when Redis fails mid-run; the web layer answers them (and
        #: StateUnavailable) with a 503 (``mock_server.web.app``).
        self.failures: tuple[type[Exception], ...] = (redis.RedisError,)
        self._incr_ttl = self._redis.register_script(_INCR_TTL)
        self._take = self._redis.register_script(_TAKE_IF_BELOW)
        self._window = self._redis.register_script(_WINDOW_HIT)
        self._reset = self._redis.register_script(_RESET)

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, namespace={self.namespace!r})"

    def _counter(self, key: str) -> str:
        return self._prefix + "c:" + key

    def _bill(self, pipe: Any, bills: list[tuple[str, str]]) -> None:
        pipe.incrby(self._billable, len(bills))
        for key_fp, code in bills:
            pipe.hincrby(self._by_key, key_fp, 1)
            pipe.hincrby(self._by_code, code, 1)

    def _taken_bills(self) -> list[tuple[str, str]]:
        bills: list[tuple[str, str]] | None = getattr(self._local, "bills", None)
        if not bills:
            return []
        self._local.bills = []
        return bills

    def _flush(self) -> None:
        """Send this thread's coalesced bills now (before any other operation)."""
        bills = self._taken_bills()
        if bills:
            pipe = self._redis.pipeline(transaction=True)
            self._bill(pipe, bills)
            pipe.execute()

    # --- counters -----------------------------------------------------------------------

    def incr(self, key: str, amount: int = 1, ttl_s: float | None = None) -> int:
        self._flush()
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
        self._flush()
        return _int(self._redis.get(self._counter(key)))

    def take_if_below(self, key: str, limit: int) -> bool:
        self._flush()
        return _int(self._take(keys=[self._counter(key)], args=[limit])) == 1

    def window_hit(self, key: str, window_s: float, limit: int, now: float) -> bool:
        self._flush()
        bucket = f"{key}@{int(now // window_s)}"
        # Keep the bucket two windows long: long enough for its own window, then forgotten.
        keep_ms = max(1000, int(window_s * 2000))
        return _int(self._window(keys=[self._counter(bucket)], args=[limit, keep_ms])) == 1

    # --- journal ------------------------------------------------------------------------

    def journal_append(self, entry: Mapping[str, Any]) -> None:
        data = wire_json(dict(entry)).decode("utf-8")
        bills = self._taken_bills()
        # An exact MAXLEN (not "~") keeps the bound the same as the in-memory ring buffer.
        if not bills:
            self._redis.xadd(
                self._journal, {"e": data}, maxlen=self.journal_size, approximate=False
            )
            return
        pipe = self._redis.pipeline(transaction=True)
        self._bill(pipe, bills)
        pipe.xadd(self._journal, {"e": data}, maxlen=self.journal_size, approximate=False)
        pipe.execute()

    def journal_list(self) -> list[dict[str, Any]]:
        self._flush()
        entries: list[tuple[str, dict[str, str]]] = self._redis.xrange(self._journal)
        return [json.loads(fields["e"]) for _, fields in entries]

    def journal_clear(self) -> None:
        self._flush()
        self._redis.delete(self._journal)

    # --- ledger -------------------------------------------------------------------------

    def ledger_add(self, key_fp: str, code: str) -> None:
        if self._coalesce:
            bills: list[tuple[str, str]] | None = getattr(self._local, "bills", None)
            if bills is None:
                bills = self._local.bills = []
            bills.append((key_fp, code))
            return
        pipe = self._redis.pipeline(transaction=True)
        self._bill(pipe, [(key_fp, code)])
        pipe.execute()

    def ledger_snapshot(self) -> dict[str, Any]:
        self._flush()
        pipe = self._redis.pipeline(transaction=True)
        pipe.get(self._billable)
        pipe.hgetall(self._by_key)
        pipe.hgetall(self._by_code)
        billable, by_key, by_code = pipe.execute()
        return {
            "billable": _int(billable),
            "by_key": {fp: int(n) for fp, n in by_key.items()},
            "by_code": {code: int(n) for code, n in by_code.items()},
        }

    # --- lifecycle ----------------------------------------------------------------------

    def reset(self) -> None:
        self._local.bills = []  # this thread's unsent bills belong to the state being reset
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self._prefix) + "*"
        self._reset(args=[pattern, self._counter(ORDERID_PREFIX)])

    def close(self) -> None:
        """Close this process's connections to Redis."""
        self._redis.close()
