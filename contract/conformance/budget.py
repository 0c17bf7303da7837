"""A hard spend budget for calls to the paid API: reserve before the call, settle after.

Whether a call is billed is known only once it is answered (the vendor bills an answer
with ``error_code`` 0, and nothing else). So a budget is kept by reserving one unit *before*
every call that carries the run's key, whatever its ``mobile`` (a lenient host may bill a
malformed one too), and releasing it when the answer turns out to be free. A call without
the key (none, an empty one, a key that is not ours) cannot be billed to us and needs no
reservation. An answer that cannot be read (a 502 page, broken JSON, no answer at all)
keeps its unit: it may have been billed, and a budget that guesses in its own favour is
no budget. So ``Budget(0)`` lets nothing that carries the key leave.

One budget per run, whatever runs it: the counts live in memory, or (``shared=FILE``) in a
file that every pytest-xdist worker of the run changes under a lock. An optional
:class:`~contract.conformance.ledger.Ledger` caps spend per day and per month across runs.
With ``wait_s`` a reservation that finds no unit left while others are still out waits for
them to settle (a worker's free call gives its unit back) before it is refused::

    budget = Budget(5, key=key)
    ticket = budget.open(key=key, mobile=digest)  # raises BudgetExceeded when none is left
    ... send the request, parse the body ...
    ticket.close(body)  # releases the unit unless the body says error_code 0
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codes import is_billed
from ..numbers import is_mobile_sha256
from .jsonfile import LockedJson
from .ledger import Ledger, LedgerFull

__all__ = [
    "Budget",
    "BudgetExceeded",
    "LedgerCapReached",
    "Ticket",
    "Usage",
    "billed_by",
    "billing",
    "may_be_billed",
]

_COUNTS = ("calls", "free", "billed", "unknown", "pending", "refused", "unexpected", "replayed")
_POLL_S = 0.02


class BudgetExceeded(Exception):
    """A call that might be billed was refused: the budget has no unit left for it."""

    def __init__(self, limit: int, committed: int) -> None:
        super().__init__(
            f"spend budget exhausted: budget {limit} billable call(s), {committed} already "
            "spent or reserved; the call that might be billed was NOT sent "
            "(raise the budget, e.g. --juhe-budget / --budget, to allow more)"
        )
        self.limit = limit
        self.committed = committed

    @property
    def short(self) -> str:
        """A few words for a report's "not sent" column."""
        return f"budget {self.limit} used up"


class LedgerCapReached(BudgetExceeded):
    """Refused by the persistent ledger: its cap for this day or month is spent."""

    def __init__(self, full: LedgerFull) -> None:
        Exception.__init__(
            self,
            f"spend ledger cap reached: {full}; the call that might be billed was NOT sent",
        )
        self.limit = full.cap
        self.committed = full.committed
        self.full = full

    @property
    def short(self) -> str:
        return f"ledger's {self.full.period} cap {self.full.cap} used up"


def may_be_billed(key: str | None, *, real_key: str | None = None) -> bool:
    """Whether a call could be billed to us: it carries the run's key (``real_key``).

    Without ``real_key``, any non-empty key might be ours. The ``mobile`` plays no part: a
    lenient host may bill a malformed one.
    """
    if not key:
        return False
    return real_key is None or key == real_key


def billing(key: str | None, mobile: str | None, *, real_key: str | None = None) -> str:
    """``yes`` (billed on success), ``reserves`` (should be free; a unit is held until the
    answer says so) or ``no`` (cannot be billed to us)."""
    if not may_be_billed(key, real_key=real_key):
        return "no"
    return "yes" if mobile is not None and is_mobile_sha256(mobile) else "reserves"


def billed_by(body: object) -> bool | None:
    """True for a billed answer (``error_code`` 0), False for a free one, None if unknown."""
    if isinstance(body, Mapping):
        code = body.get("error_code")
        if type(code) is int:
            return is_billed(code)
    return None


@dataclass(frozen=True)
class Usage:
    """A snapshot of a budget's ledger.

    :param calls: every call opened.
    :param free: calls that could never be billed (no reservation).
    :param billed: answers that said ``error_code`` 0.
    :param unknown: reserved calls whose answer could not be read (counted as spent).
    :param pending: reservations not yet settled.
    :param refused: calls refused because the budget had no unit left.
    :param unexpected: "free" calls that came back billed anyway (a server billing what the
        contract says it must not: counted as spent, and worth a look).
    :param replayed: identical requests answered from the run's own record, not sent again.
    """

    limit: int | None
    calls: int
    free: int
    billed: int
    unknown: int
    pending: int
    refused: int
    unexpected: int
    replayed: int = 0

    @property
    def spent(self) -> int:
        """Units gone for good: billed answers and unreadable answers to reserved calls."""
        return self.billed + self.unknown

    @property
    def committed(self) -> int:
        """Units spent or reserved right now."""
        return self.spent + self.pending


def _empty() -> dict[str, int]:
    return dict.fromkeys(_COUNTS, 0)


def _complete(counts: dict[str, int]) -> dict[str, int]:
    for name in _COUNTS:
        counts.setdefault(name, 0)
    return counts


class Budget:
    """At most ``limit`` billable calls (None: no limit, but every call is still counted).

    :param key: the run's key; only calls carrying it reserve (None: any key does).
    :param shared: a file holding the counts, shared by every process of the run.
    :param ledger: caps across runs (per Beijing day and month), checked on every reservation.
    :param wait_s: how long a reservation may wait for units still out to come back.
    """

    def __init__(
        self,
        limit: int | None,
        *,
        key: str | None = None,
        shared: str | Path | None = None,
        ledger: Ledger | None = None,
        wait_s: float = 0.0,
    ) -> None:
        if limit is not None and limit < 0:
            raise ValueError("a budget cannot be negative")
        self.limit = limit
        self.key = key
        self.ledger = ledger
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._memory = _empty()
        self._file = LockedJson(shared, _empty) if shared is not None else None

    def _update(self, change: Callable[[dict[str, int]], Any]) -> Any:
        with self._lock:
            if self._file is not None:
                return self._file.update(lambda counts: change(_complete(counts)))
            return change(self._memory)

    def _counts(self) -> dict[str, int]:
        with self._lock:
            if self._file is not None:
                return _complete(self._file.read())
            return dict(self._memory)

    def open(self, *, key: str | None, mobile: str | None = None) -> Ticket:
        """Account for one request before it is sent.

        :raises BudgetExceeded: if it carries the key and no unit is left (in this run, or
            in the ledger's day or month); nothing is counted as called then, and the
            caller must not send it.
        """
        if not may_be_billed(key, real_key=self.key):
            self._update(lambda c: c.update(free=c["free"] + 1, calls=c["calls"] + 1))
            return Ticket(self, reserved=False, day=None)
        deadline = time.monotonic() + self.wait_s
        while True:
            final = time.monotonic() >= deadline
            result = self._update(functools.partial(self._reserve, final=final))
            if isinstance(result, Ticket):
                return result
            if isinstance(result, BudgetExceeded):
                raise result
            time.sleep(_POLL_S)  # others hold units that may come back: wait for them

    def _reserve(self, counts: dict[str, int], *, final: bool) -> Ticket | BudgetExceeded | None:
        """One attempt, under the lock: a ticket, the refusal, or None to wait and retry."""
        committed = counts["billed"] + counts["unknown"] + counts["pending"]
        refusal: BudgetExceeded | None = None
        day = None
        if self.limit is not None and committed >= self.limit:
            refusal = BudgetExceeded(self.limit, committed)
        elif self.ledger is not None:
            try:
                day = self.ledger.reserve()
            except LedgerFull as full:
                refusal = LedgerCapReached(full)
        if refusal is None:
            counts["pending"] += 1
            counts["calls"] += 1
            return Ticket(self, reserved=True, day=day)
        if counts["pending"] > 0 and not final:
            return None
        counts["refused"] += 1
        return refusal

    def _settle(self, reserved: bool, billed: bool | None, day: str | None) -> None:
        def settle(counts: dict[str, int]) -> None:
            if reserved:
                counts["pending"] -= 1
                if billed is None:
                    counts["unknown"] += 1
                elif billed:
                    counts["billed"] += 1
            elif billed:
                counts["billed"] += 1
                counts["unexpected"] += 1

        self._update(settle)
        if self.ledger is not None and (reserved or billed):
            self.ledger.settle(day, billed, reserved=reserved)

    def note_replay(self) -> None:
        """Count a request answered from the run's record instead of being sent again."""
        self._update(lambda c: c.update(replayed=c["replayed"] + 1))

    def usage(self) -> Usage:
        return Usage(limit=self.limit, **self._counts())

    def __repr__(self) -> str:
        u = self.usage()
        return f"Budget(limit={self.limit}, calls={u.calls}, billed={u.billed}, spent={u.spent})"


class Ticket:
    """One accounted request; :meth:`close` it with the answer's body (or None)."""

    def __init__(self, budget: Budget, reserved: bool, day: str | None) -> None:
        self._budget = budget
        self.reserved = reserved
        self.day = day
        self.closed = False
        self.billed: bool | None = None

    def close(self, body: object) -> bool | None:
        """Settle with the parsed body (None when there was no readable JSON answer).

        Returns whether the answer was billed (None: unknown; a reserved unit stays spent).
        """
        if self.closed:
            return self.billed
        self.closed = True
        self.billed = billed_by(body)
        self._budget._settle(self.reserved, self.billed, self.day)
        return self.billed
