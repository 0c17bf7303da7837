"""One lookup through the guard proxy, on the event loop (docs/proxy.md).

The way of a request the door hands to :meth:`GuardProxy.answer`:

1. no key (or only whitespace) → 10001, a malformed ``mobile`` → 234802: answered here,
   never forwarded (``local``); the app's key is judged for presence only, shown by its
   fingerprint, and never sent anywhere;
2. the cache: a hash answered within ``cache_ttl`` is answered from it (``cached``): a
   success or a 234803, never a system error;
3. one lookup per hash at a time, across replicas: a claim in the store; the others wait
   for the cache (so ten concurrent lookups of one hash pay once);
4. the budget (:mod:`.spend`): a unit reserved, or 10012 without forwarding (``refused``);
5. the upstream (:mod:`.upstream`) with the proxy's key; the unit given back when the
   answer is free or the request never left;
6. the verdict (``contract.validate``, tolerant): violations logged, journalled, counted,
   and named in a header; the answer passed on as it came, but for an echo of the key
   (``paid``); no usable answer (a timeout, a 5xx, a connection error) is a 502/504
   (``failed``), never retried once the request may have been sent;
7. recorded (``--record``), journalled and billed in the ledger as the mock's answers are.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from contract import JSON_CONTENT_TYPE, SUCCESS_CODE, is_mobile_sha256, key_fingerprint
from contract.clock import BEIJING
from contract.conformance.recorder import Recorder, answer_verdict
from contract.keys import scrub_key

from ..engine import Call, mobile_problem
from ..scenario.model import normal_ip
from ..state.store import Store
from .replies import (
    VIOLATIONS_HEADER,
    Cached,
    ProxyReply,
    api_reply,
    gateway_reply,
    local_body,
    refusal_reply,
    violations_header,
)
from .spend import Refused, Spend
from .upstream import Fetched, Upstream

__all__ = ["COUNTS", "PROXY_LOG", "GuardProxy"]

#: The proxy's own lines (refusals, violations, upstream faults), beside the request log.
PROXY_LOG = logging.getLogger("mock_server.serve.proxy")
_REQUEST_LOG = logging.getLogger("mock_server.requests")  # the mock's one line per request
#: The counters ``GET /__admin/usage`` shows under ``upstream``.
COUNTS = ("paid", "cached", "refused", "local", "failed", "violations")
#: Only these are cached: a success and "no record" are facts about the hash.
CACHED_CODES = frozenset({SUCCESS_CODE, 234803})
_POLL_S = 0.02
_API_NAMES = frozenset({"key", "mobile", "callback"})


def _billed(fetched: Fetched, body: Any) -> bool | None:
    """True billed, False free (or never sent), None unknown (the unit stays spent)."""
    if fetched.status is None:
        return None if fetched.sent else False
    if fetched.status != 200 or not isinstance(body, dict):
        return None
    code = body.get("error_code")
    return code == SUCCESS_CODE if type(code) is int else None


class GuardProxy:
    """The proxy in front of ``upstream``: cache, budget, verdict, journal and recording.

    :param spend: the budget (in the store, or a ledger file).
    :param cache_ttl: seconds an answer is kept (0: nothing is cached).
    :param stopping: whether the server is stopping (a waiting lookup gives up then).
    """

    def __init__(
        self,
        upstream: Upstream,
        store: Store,
        spend: Spend,
        *,
        cache_ttl: float,
        key: str,
        recorder: Recorder | None = None,
        clock: Callable[[], float] = time.time,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.upstream = upstream
        self.store = store
        self.spend = spend
        self.cache_ttl = cache_ttl
        self.recorder = recorder
        self._key = key
        self.clock = clock
        self._stopping = stopping
        self._remote = getattr(store, "url", None) is not None
        self._pool: ThreadPoolExecutor | None = None
        # A claim outlives the longest lookup (every phase of the upstream call timing out).
        self._hold_s = 4 * upstream.timeout + 5

    def __repr__(self) -> str:
        return f"GuardProxy({self.upstream!r}, spend={self.spend.where!r})"

    # -- blocking work: the store (when it is remote), the ledger file, the recording -------

    async def _thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._pool is None:  # made on first need (again after close: a restart)
            self._pool = ThreadPoolExecutor(4, thread_name_prefix="juhe-mock-proxy")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    async def _store(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._thread(fn, *args) if self._remote else fn(*args)

    async def _spend(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args) if self.spend.where == "memory" else await self._thread(fn, *args)

    # -- one lookup ----------------------------------------------------------------------

    async def answer(self, call: Call, callback: str | None, started: float) -> ProxyReply:
        """The reply to one API request (stateful: call it once per request)."""
        key, mobile = call.key, call.mobile
        if not key or not key.strip():
            return await self._local(call, callback, started, None, 10001)
        app_fp = key_fingerprint(key)
        if not mobile or not is_mobile_sha256(mobile):
            return await self._local(call, callback, started, app_fp, 234802,
                                     mobile_problem(mobile))  # fmt: skip
        digest = mobile.lower()
        cached = await self._cached(digest)
        claimed = False
        if cached is None:
            claimed, cached = await self._claim(digest)
        try:
            if cached is not None:
                return await self._from_cache(call, callback, started, app_fp, digest, cached)
            if not claimed:  # the server is stopping while another lookup holds the hash
                return gateway_reply(504, "stopping while the same lookup was in flight")
            return await self._forward(call, callback, started, app_fp, digest)
        finally:
            if claimed:
                await self._store(self.store.release, digest)

    async def _cached(self, digest: str) -> Cached | None:
        if self.cache_ttl <= 0:
            return None
        text = await self._store(self.store.cache_get, digest, self.clock())
        return Cached.load(text) if text is not None else None

    async def _claim(self, digest: str) -> tuple[bool, Cached | None]:
        """Hold the hash (True), or wait until its holder cached the answer."""
        while True:
            if await self._store(self.store.claim, digest, self._hold_s, self.clock()):
                return True, await self._cached(digest)  # cached just before the claim?
            await asyncio.sleep(_POLL_S)
            cached = await self._cached(digest)
            if cached is not None or self._stopping():
                return False, cached

    async def _local(
        self, call: Call, callback: str | None, started: float, app_fp: str | None,
        code: int, detail: str | None = None,
    ) -> ProxyReply:  # fmt: skip
        reply = api_reply("local", 200, JSON_CONTENT_TYPE, local_body(code, detail), callback)
        await self._done(call, started, app_fp, None, code, None, "validation", "local")
        return reply

    async def _from_cache(
        self, call: Call, callback: str | None, started: float, app_fp: str, digest: str,
        cached: Cached,
    ) -> ProxyReply:  # fmt: skip
        extra = [(VIOLATIONS_HEADER, cached.violations)] if cached.violations else []
        await self._done(call, started, app_fp, digest, cached.error_code, cached.tenure,
                         "cache", "cached")  # fmt: skip
        return api_reply("cached", 200, cached.content_type, cached.payload, callback, extra)

    async def _forward(
        self, call: Call, callback: str | None, started: float, app_fp: str, digest: str
    ) -> ProxyReply:
        held = await self._spend(self.spend.reserve, self.clock())
        if isinstance(held, Refused):
            PROXY_LOG.warning("juhe-mock: proxy budget: %s", held.words())
            await self._done(call, started, app_fp, digest, 10012, None, "budget", "refused")
            return refusal_reply(held.period, held.words(), callback)
        fetched = Fetched(None, sent=False, problem="not asked")
        body: Any = None
        try:
            fetched = await self.upstream.ask(digest)
            try:
                body = json.loads(fetched.content.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
        finally:  # cancelled or not, the unit is settled: a lost unit is money unaccounted
            billed = _billed(fetched, body)
            await self._spend(self.spend.settle, held, billed)
        return await self._passed_on(call, callback, started, app_fp, digest, fetched, body,
                                     billed)  # fmt: skip

    async def _passed_on(
        self, call: Call, callback: str | None, started: float, app_fp: str, digest: str,
        fetched: Fetched, body: Any, billed: bool | None,
    ) -> ProxyReply:  # fmt: skip
        status = fetched.status
        verdict = answer_verdict(status, fetched.content_type, fetched.content, key=self._key)
        if self.recorder is not None:
            await self._thread(
                self.recorder.record, method="POST", key=self._key, mobile=digest,
                status=status, content_type=fetched.content_type,
                content=fetched.content if status is not None else None, billed=billed,
                verdict=verdict, problem=fetched.problem,
            )  # fmt: skip
        if status is None or status >= 500:
            sent = "after the request was sent" if fetched.sent else "before it was sent"
            why = (f"{fetched.problem} {sent}" if status is None else f"HTTP {status}") + (
                "; not retried: it may have been billed" if fetched.sent else "")  # fmt: skip
            PROXY_LOG.warning("juhe-mock: upstream %s: %s", self.upstream.label, why)
            await self._done(call, started, app_fp, digest, None, None, "upstream", "failed")
            return gateway_reply(504 if status is None and fetched.gateway == 504 else 502, why)
        code = body.get("error_code") if isinstance(body, dict) else None
        code = code if type(code) is int else None
        result = body.get("result") if isinstance(body, dict) else None
        tenure = result.get("code") if code == SUCCESS_CODE and isinstance(result, dict) else None
        tenure = tenure if isinstance(tenure, str) else None
        problems: list[str] = verdict["problems"]
        named = violations_header(problems) if problems else ""
        if problems:
            await self._count("violations")
            PROXY_LOG.warning("juhe-mock: upstream answer breaks the contract: %s", named)
        payload = scrub_key(fetched.content.decode("latin-1"), self._key).encode("latin-1")
        if code in CACHED_CODES and status == 200 and self.cache_ttl > 0:
            with contextlib.suppress(UnicodeDecodeError):  # a JSON answer is UTF-8 text
                kept = Cached(fetched.content_type, payload, code, tenure, named).dump()
                await self._store(self.store.cache_put, digest, kept, self.cache_ttl,
                                  self.clock())  # fmt: skip
        await self._done(call, started, app_fp, digest, code, tenure, "upstream", "paid",
                         billed=billed is True, violations=problems)  # fmt: skip
        extra = [(VIOLATIONS_HEADER, named)] if named else []
        return api_reply("paid", status, fetched.content_type, payload, callback, extra)

    # -- what is recorded of it ----------------------------------------------------------

    async def _count(self, name: str) -> None:
        await self._store(self.store.incr, "upstream:" + name)

    async def _done(
        self, call: Call, started: float, app_fp: str | None, digest: str | None,
        code: int | None, tenure: str | None, step: str, way: str, *, billed: bool = False,
        violations: list[str] | None = None,
    ) -> None:  # fmt: skip
        """Journal (and bill) the request in the store's one step, count and log it."""
        now = self.clock()
        ip = normal_ip(call.ip) if call.ip else None
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(now, BEIJING).isoformat(timespec="milliseconds"),
            "method": call.method, "path": call.path, "ip": ip, "key": app_fp,
            "key_from": call.key_from, "mobile": digest,
            "params": [n if n in _API_NAMES else "<other>" for n in call.params[:16]],
            "content_type": call.content_type,
            "outcome": {"error_code": code, "code": tenure, "fault": None},
            "billable": billed, "rule": None, "step": step,
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "upstream": way,
        }  # fmt: skip
        if violations:
            entry["violations"] = [scrub_key(v, self._key) for v in violations]
        bill = (app_fp, tenure) if billed and app_fp is not None and tenure is not None else None
        await self._store(self.store.settle, entry, bill)
        await self._count(way)
        if _REQUEST_LOG.isEnabledFor(logging.INFO):
            _REQUEST_LOG.info("request", extra={"entry": entry})

    # -- the admin API's view, and stopping ----------------------------------------------

    def usage(self) -> dict[str, Any]:
        """``upstream``: the counters; ``budget``: where it is kept, each period's cap and
        spend (blocking: for the admin API's thread)."""
        counts = {name: self.store.get("upstream:" + name) for name in COUNTS}
        return {"upstream": counts, "budget": self.spend.usage(self.clock())}

    async def aclose(self) -> None:
        """Close the upstream client of this loop (call on the loop, before it ends)."""
        await self.upstream.aclose()

    def close(self) -> None:
        """Let the proxy's threads go (a new one is made if it serves again)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
