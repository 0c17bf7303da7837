"""One API request from parameters to bytes: engine, quota + ledger + journal, orderid, wire.

The Flask door (:func:`.door_flask.query`) and the raw WSGI door
(:mod:`.door_raw`) both call :func:`answer`, so the decision, what is recorded
and the bytes on the wire cannot drift apart between them; each path only turns the
:class:`Reply` into its own kind of response.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from contract.clock import BEIJING

from ..engine import Call, Decision
from ..runtime import MockRuntime
from ..scenario.model import normal_ip
from ..scenario.replay import Replayed
from .faults import FaultResponse, apply_fault
from .wire import render, wrap

__all__ = ["REQUEST_LOG", "WAIT_KEY", "Reply", "answer", "log_requests_to", "waiter"]

#: One log record per request, with the key's fingerprint and the mobile's hash only
#: (when nothing cheaper is installed: :func:`log_requests_to`).
REQUEST_LOG = logging.getLogger("mock_server.requests")


def _log_record(entry: dict[str, Any]) -> None:
    if REQUEST_LOG.isEnabledFor(logging.INFO):
        REQUEST_LOG.info("request", extra={"entry": entry})


#: Where each request's journal entry goes to be logged.
_log_entry: Callable[[dict[str, Any]], None] = _log_record


def log_requests_to(sink: Callable[[dict[str, Any]], None] | None) -> None:
    """Hand each request's journal entry to ``sink`` (``juhe-mock``'s log writer) instead
    of making a log record on :data:`REQUEST_LOG`; None: log records again."""
    global _log_entry
    _log_entry = sink if sink is not None else _log_record


#: ``.000+08:00`` to ``.999+08:00``: a stamp's end, looked up rather than formatted.
_MILLIS = tuple(f".{ms:03d}+08:00" for ms in range(1000))


class _Stamps:
    """Journal times: Beijing ISO 8601 to the millisecond, the date and time formatted once
    per second rather than once per request (``datetime`` formatting is most of the cost)."""

    def __init__(self) -> None:
        self._cached: tuple[int, str] = (-1, "")  # one tuple: replaced atomically

    def __call__(self, now: float) -> str:
        second = int(now)
        micro = round((now - second) * 1_000_000)  # rounded as datetime.fromtimestamp does
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        cached = self._cached
        if cached[0] != second:
            text = datetime.fromtimestamp(second, BEIJING).strftime("%Y-%m-%dT%H:%M:%S")
            cached = self._cached = (second, text)
        return cached[1] + _MILLIS[micro // 1000]


_stamp = _Stamps()

#: The WSGI environ key under which an event-loop server hands the doors a ``wait``: a
#: callable that takes a latency or a drip's interval and returns at once, so that the
#: server, not the thread, waits it out (:mod:`.door_async`). Without it a door waits.
WAIT_KEY = "juhe_mock.wait"


def waiter(environ: dict[str, Any], runtime: MockRuntime) -> Callable[[float], None]:
    """How a WSGI door waits for this request: the server's ``wait``, else the runtime's
    pause (which a stop cuts short)."""
    wait: Callable[[float], None] = environ.get(WAIT_KEY) or runtime.pause
    return wait


class Reply(NamedTuple):
    """What to send: the answer's bytes and content type, or (``fault``) what a fault made
    of them: a status, headers and a body iterable, served as they are."""

    payload: bytes
    content_type: str
    fault: FaultResponse | None = None
    #: Seconds the door waits before it sends anything (a latency rule). ``answer`` never
    #: waits itself: a thread-per-request door pauses, an event-loop door schedules.
    delay: float = 0.0


#: Parameter names the journal shows as they are: the API's own, and short names of letters
#: (no digit: a name that is a phone number or a hex key is shown as ``OTHER_NAME``).
_API_NAMES = frozenset({"key", "mobile", "callback"})
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z_.-]{0,31}")
OTHER_NAME = "<other>"
#: The most parameter names one journal entry lists.
MAX_NAMES = 16


def _names(call: Call) -> list[str]:
    """The parameter names sent, as the journal may show them (never a key or a number)."""
    if _API_NAMES.issuperset(call.params):  # the usual request: nothing to judge
        return list(call.params)
    shown = []
    for name in call.params[:MAX_NAMES]:
        plain = name in _API_NAMES or (
            _PLAIN_NAME.fullmatch(name) is not None and not (call.key and call.key in name)
        )
        shown.append(name if plain else OTHER_NAME)
    if len(call.params) > MAX_NAMES:
        shown.append(f"<{len(call.params) - MAX_NAMES} more>")
    return shown


def _entry(
    runtime: MockRuntime,
    call: Call,
    decision: Decision,
    started: float,
    ip: str | None,
    billable: bool,
) -> dict[str, Any]:
    fault = decision.fault.kind.value if decision.fault is not None else None
    return {
        "time": _stamp(runtime.clock()),
        "method": call.method,
        "path": call.path,
        "ip": ip,
        "key": decision.key_fp,
        "key_from": call.key_from,
        "mobile": decision.mobile_hash,
        "params": _names(call),
        "content_type": call.content_type,
        "outcome": {"error_code": decision.error_code, "code": decision.tenure, "fault": fault},
        "billable": billable,
        "rule": decision.rule,
        "step": decision.step,
        # The time to decide plus the delay the answer will be sent after.
        "latency_ms": round((time.perf_counter() - started + decision.latency) * 1000, 3),
    }


def _settle(
    runtime: MockRuntime, call: Call, decision: Decision, started: float, ip: str | None
) -> tuple[Decision, dict[str, Any]]:
    """Take the quota unit, bill and journal the request in the store's one atomic step;
    the decision that stands (a 10012 when the quota is used up) and its journal entry."""
    billable = decision.billable
    entry = _entry(runtime, call, decision, started, ip, billable)
    bill = None
    if billable and decision.key_fp is not None and decision.tenure is not None:
        bill = (decision.key_fp, decision.tenure)
    claim = decision.quota
    if claim is None:
        runtime.store.settle(entry, bill)
        return decision, entry
    refused = decision.quota_refused()
    refused_entry = {  # the same request, answered 10012/10013 instead
        **entry,
        "outcome": {
            "error_code": refused.error_code,
            "code": None,
            "fault": entry["outcome"]["fault"],
        },
        "billable": False,
        "step": refused.step,
    }
    if runtime.store.settle(entry, bill, (claim.counter, claim.limit), refused_entry):
        return decision, entry
    return refused, refused_entry


def _replayed(replayed: Replayed, callback: str | None) -> tuple[bytes, str]:
    """A recorded answer's bytes and content type as received (JSONP-wrapped for a valid
    ``callback`` when it is an API answer)."""
    if replayed.error_code is not None and callback:
        wrapped, content_type = wrap(replayed.payload, callback)
        if wrapped != replayed.payload:
            return wrapped, content_type
    return replayed.payload, replayed.content_type


def answer(
    runtime: MockRuntime,
    call: Call,
    ip: str | None,
    callback: str | None,
    started: float,
    wait: Callable[[float], None] | None = None,
) -> Reply:
    """Decide ``call``; take its orderid; take its quota unit, bill and journal it (one
    atomic step of the store); log it and put it on the wire. It never waits: the door waits
    out ``Reply.delay`` before sending. Stateful: call it exactly once per request.

    :param ip: the client address as the journal shows it (None when the server gave none).
    :param started: ``time.perf_counter()`` when the request arrived, for ``latency_ms``.
    :param wait: how a drip waits between its chunks (default: the runtime's pause).
    """
    if ip is not None and ip.startswith("::") and normal_ip(ip) != ip:
        # An IPv4 client of a dual-stack socket: its IPv4 address for every model and the
        # journal (normalised here, once, for every door).
        ip = normal_ip(ip)
        call = call._replace(ip=ip)
    decision = runtime.engine.decide(call)
    # The orderid first: a store that fails on it has recorded nothing of the request yet.
    # A success the quota then refuses leaves its orderid unused (ids need not be dense).
    # A replayed answer carries its recorded orderid.
    fresh = decision.tenure is not None and decision.replay is None
    orderid = runtime.orderids.next() if fresh else None
    decision, entry = _settle(runtime, call, decision, started, ip)
    if decision.tenure is None:
        orderid = None
    replayed = decision.replay
    if replayed is not None:
        payload, content_type = _replayed(replayed, callback)
    else:
        payload, content_type = wrap(render(decision, orderid), callback)
    _log_entry(entry)
    if replayed is not None and replayed.error_code is None:  # not an API answer: as it was
        sent = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
        return Reply(payload, content_type, (replayed.status, sent, [payload]), decision.latency)
    if decision.fault is None:
        return Reply(payload, content_type, delay=decision.latency)
    fault = apply_fault(decision.fault, payload, content_type, wait or runtime.pause)
    return Reply(payload, content_type, fault, decision.latency)
