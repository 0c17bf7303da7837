"""The scenario engine: one request's parameters in, one :class:`Decision` out.

The order of the steps is part of the contract (docs/wire.md): the key is judged first.

1. no key, an empty one or one of only whitespace → 10001 (the key is judged first);
2. the scenario's rules, in order; the first that matches and has an answer decides
   (rules that only add latency or damage the answer let later steps decide it);
3. the platform models: banned IP 10008, unknown source 10007, per-IP rate 10011, key
   allow-list 10001, per-key state (10002/10003/10005/10009/10021, expiry → 10003),
   maintenance window 10020;
4. ``mobile`` missing or not 64 hex characters → 234802 saying what is wrong;
5. random internal errors 10014 (seeded);
6. replay: a hash a recording holds (the scenario's ``replay``, ``--replay``) answers what
   was recorded, byte for byte (:mod:`.scenario.replay`); a recorded success is billed;
7. magic numbers (``contract.magic``);
8. the default: a tenure code drawn from the hash and the seed, or 234803;
9. any success to a GET or POST then takes one unit of the key's quota for the current
   window (a Beijing day unless the scenario says otherwise; then 10012, or 10013 for a
   trial key); a HEAD is never billed and takes no quota. The engine only names the claim
   (:attr:`Decision.quota`): the unit is taken by the store's ``settle`` in the same atomic
   step that bills and journals the request (``web/answer.py``), so that a worker killed
   mid-request leaves them agreeing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple, Protocol

from contract import MAGIC_BY_HASH, PATH, SUCCESS_CODE, is_mobile_sha256, normalize_mobile
from contract.codes import BILLED_METHODS
from contract.keys import key_digest, key_fingerprint

from .scenario.model import Fault, Outcome, Rule, Scenario, unit_interval
from .scenario.replay import Replayed
from .state.store import Store

__all__ = ["Call", "Decision", "Engine", "QuotaClaim", "mobile_problem"]


class Headers(Protocol):
    def get(self, key: str) -> str | None: ...


class Call(NamedTuple):
    """What the engine needs to know about one request, and what the journal shows of how
    it was sent (the engine never reads the last four).

    A named tuple, not a frozen dataclass: made once per request, and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field) costs four times as much.
    """

    method: str
    key: str | None
    mobile: str | None
    ip: str
    headers: Headers
    #: Where the key came from: ``query``, ``form`` (the body) or ``absent``.
    key_from: str = "absent"
    #: The parameter names sent, first occurrence each, the query string's first.
    params: tuple[str, ...] = ()
    #: The request body's media type (lower case, no parameters), or None.
    content_type: str | None = None
    path: str = PATH


@dataclass(frozen=True)
class QuotaClaim:
    """A success that needs one unit of a key's quota, and what it becomes without one."""

    counter: str  # the store's counter: ``quota:<the key's whole digest>``
    limit: int
    refusal: int  # 10012, or 10013 for a trial key


class Decision(NamedTuple):
    """The answer to one request, before it is put on the wire (a named tuple: one is made
    per request, see :class:`Call`)."""

    error_code: int | None  # None when a fault (status, drop, malformed) replaced the answer
    tenure: str | None = None
    reason: str | None = None  # a custom reason; None = the catalogue's
    detail: str | None = None  # for 234802/234804
    fault: Fault | None = None
    latency: float = 0.0
    rule: str | None = None  # the rule that decided, if any
    step: str = "default"  # validation, rule, platform, internal, magic, default, quota
    key_fp: str | None = None
    mobile_hash: str | None = None
    #: The quota unit this success still needs (taken by ``Store.settle``), if any.
    quota: QuotaClaim | None = None
    method_bills: bool = True  # False for a HEAD: no answer goes back, nothing is billed
    #: A recorded answer to send instead of rendering one (the ``replay`` step).
    replay: Replayed | None = None

    @property
    def billable(self) -> bool:
        """Whether the vendor bills it: a success to a GET or POST, unless a fault replaced
        the answer."""
        return self.error_code == SUCCESS_CODE and self.method_bills

    def quota_refused(self) -> Decision:
        """This decision when the key's quota is used up: 10012 (10013 for a trial key)."""
        assert self.quota is not None
        return Decision(
            self.quota.refusal, fault=self.fault, latency=self.latency, rule=self.rule,
            step="quota", key_fp=self.key_fp, mobile_hash=self.mobile_hash,
        )  # fmt: skip


def mobile_problem(mobile: str | None) -> str:
    """Why ``mobile`` is not acceptable, in the API's words after "参数错误:"."""
    if not mobile:
        return "mobile不能为空"
    try:
        normalize_mobile(mobile)
    except ValueError:
        pass
    else:
        return "mobile须为手机号的sha256值,不接受明文手机号"
    if len(mobile) != 64:
        return "mobile须为64位sha256十六进制字符串"
    return "mobile含有非十六进制字符"


# Outcomes the models give, made once (an Outcome per request was measurable).
_MAGIC = {
    mobile_hash: Outcome(tenure=magic.tenure)
    if magic.tenure is not None
    else Outcome(error=magic.error_code)
    for mobile_hash, magic in MAGIC_BY_HASH.items()
}


# One Outcome per code, kept (functools.cache: a C-level dict lookup after the first call).
@cache
def _error(code: int) -> Outcome:
    return Outcome(error=code)


@cache
def _tenure(code: str) -> Outcome:
    return Outcome(tenure=code)


class Engine:
    """Decides answers for one compiled scenario, keeping its counters in ``store``."""

    def __init__(
        self, scenario: Scenario, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self.scenario = scenario
        self.store = store
        self.clock = clock
        self._latency_rng = random.Random(scenario.seed)

    def decide(self, call: Call) -> Decision:
        key = call.key
        mobile = call.mobile
        mobile_hash = (
            mobile.lower() if mobile and len(mobile) == 64 and is_mobile_sha256(mobile) else None
        )
        if not key or not key.strip():
            return Decision(10001, step="validation", mobile_hash=mobile_hash)
        key_fp = key_fingerprint(key)
        now = self.clock()
        latency: tuple[float, float] | None = None
        fault: Fault | None = None
        for rule in self.scenario.rules:
            if not self._matches(rule, call, mobile_hash, now):
                continue
            outcome = self._pick(rule)
            if outcome is None:
                continue
            latency = latency or outcome.latency
            if outcome.fault is not None and (fault is None or outcome.fault.kind.replaces_answer):
                fault = outcome.fault
            if outcome.is_answer:
                return self._finish(
                    outcome, rule.name, "rule", call, key_fp, mobile_hash, fault, latency, now
                )
        answer, step = self._answer(call, key, mobile_hash, now)
        return self._finish(answer, None, step, call, key_fp, mobile_hash, fault, latency, now)

    # --- rules --------------------------------------------------------------------------

    def _matches(self, rule: Rule, call: Call, mobile_hash: str | None, now: float) -> bool:
        when = rule.when
        if when.keys is not None and call.key not in when.keys:
            return False
        if when.mobiles is not None and mobile_hash not in when.mobiles:
            return False
        if when.methods is not None and call.method not in when.methods:
            return False
        if when.ips is not None and call.ip not in when.ips:
            return False
        for name, value in when.headers:
            if call.headers.get(name) != value:
                return False
        return when.window is None or when.window.contains(now)

    def _pick(self, rule: Rule) -> Outcome | None:
        """The rule's outcome for this matching call, or None if it lets the call through."""
        store = self.store
        if rule.probability is not None:
            n = store.incr(rule.counter + ":p")
            if unit_interval(self.scenario.seed, rule.counter, n) >= rule.probability:
                return None
        if rule.times is not None and not store.take_if_below(rule.counter + ":times", rule.times):
            return None
        if not rule.is_sequence:
            return rule.outcomes[0]
        n = store.incr(rule.counter + ":seq")
        size = len(rule.outcomes)
        if n <= size:
            return rule.outcomes[n - 1]
        return rule.outcomes[(n - 1) % size] if rule.cycle else None

    # --- platform, validation, magic, default -------------------------------------------

    def _answer(
        self, call: Call, key: str, mobile_hash: str | None, now: float
    ) -> tuple[Outcome, str]:
        platform = self.scenario.platform
        # The client IP is judged before the key, as a gateway in front of the API would:
        # banned, unknown source, then its request rate (every call it makes counts).
        code = platform.refuse_ip(call.ip)
        rate = platform.rate
        if (
            code is None
            and rate is not None
            and not self.store.window_hit(f"rate:{call.ip}", rate.window_s, rate.limit, now)
        ):
            code = 10011
        if code is None:
            code = platform.refuse_key(key, now)
        if code is not None:
            return _error(code), "platform"
        if mobile_hash is None:
            return Outcome(error=234802, detail=mobile_problem(call.mobile)), "validation"
        if platform.internal_errors > 0:
            n = self.store.incr("internal:n")
            if unit_interval(self.scenario.seed, "internal", n) < platform.internal_errors:
                return _error(10014), "internal"
        if self.scenario.replay:
            replayed = self.scenario.replay.get(mobile_hash)
            if replayed is not None:
                return Outcome(replay=replayed), "replay"
        magic = _MAGIC.get(mobile_hash)
        if magic is not None:
            return magic, "magic"
        if self.scenario.default_no_record:
            return _error(234803), "default"
        return _tenure(self.default_tenure(mobile_hash)), "default"

    def default_tenure(self, mobile_hash: str) -> str:
        """The deterministic default code of a (lowercase) hash under this seed."""
        u = unit_interval(self.scenario.seed, mobile_hash)
        for code, upto in self.scenario.weights:
            if u < upto:
                return code
        return self.scenario.weights[-1][0]

    def _finish(
        self,
        outcome: Outcome,
        rule: str | None,
        step: str,
        call: Call,
        key_fp: str,
        mobile_hash: str | None,
        fault: Fault | None,
        latency: tuple[float, float] | None,
        now: float,
    ) -> Decision:
        delay = 0.0
        if latency is not None:
            low, high = latency
            delay = low if low == high else self._latency_rng.uniform(low, high)
        replaced = fault is not None and fault.kind.replaces_answer
        bills = call.method in BILLED_METHODS
        if replaced:
            return Decision(
                None, fault=fault, latency=delay, rule=rule, step=step,
                key_fp=key_fp, mobile_hash=mobile_hash, method_bills=bills,
            )  # fmt: skip
        claim = None
        key = call.key or ""
        platform = self.scenario.platform
        replayed = outcome.replay
        if replayed is not None:  # the recorded code, to bill and journal it as the mock's
            outcome = Outcome(error=replayed.error_code, tenure=replayed.tenure,
                              replay=replayed)  # fmt: skip
        if outcome.tenure is not None and bills:
            quota, trial = platform.quota_for(key)
            if quota is not None:
                # Keyed by the whole digest (two keys may share a display fingerprint) and
                # by the window: a daily quota starts afresh at midnight, Beijing time.
                held = f"quota:{key_digest(key)}:{platform.quota_window_index(now)}"
                claim = QuotaClaim(held, quota, 10013 if trial else 10012)
        code: int | None = outcome.error if outcome.error is not None else SUCCESS_CODE
        if replayed is not None:
            code = replayed.error_code  # None: not an API answer (replayed, never billed)
        # Positional, in the field order (error_code, tenure, reason, detail, fault, latency,
        # rule, step, key_fp, mobile_hash, quota, method_bills, replay): the hot path's one
        # Decision.
        return Decision(code, outcome.tenure, outcome.reason, outcome.detail, fault, delay,
                        rule, step, key_fp, mobile_hash, claim, bills, replayed)  # fmt: skip
