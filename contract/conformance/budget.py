"""A hard spend budget for calls to the paid API: reserve before the call, settle after.

Whether a call is billed is known only once it is answered (the vendor bills an answer
with ``error_code`` 0, and nothing else). So a budget is kept by reserving one unit *before*
any call that might be billed (a non-empty key with a well-formed ``mobile`` hash) and
releasing it when the answer turns out to be free. Calls that can never be billed (no key,
a malformed ``mobile``) need no reservation. An answer that cannot be read (a 502 page,
broken JSON, no answer at all) keeps its unit: it may have been billed, and a budget that
guesses in its own favour is no budget.

Pure and thread-safe; the pytest plugin (``--juhe-budget``) and ``juhe-contract check
--budget`` both keep their spending here::

    budget = Budget(5)
    ticket = budget.open(key=key, mobile=digest)  # raises BudgetExceeded when none is left
    ... send the request, parse the body ...
    ticket.close(body)  # releases the unit unless the body says error_code 0
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from ..codes import is_billed
from ..numbers import is_mobile_sha256

__all__ = ["Budget", "BudgetExceeded", "Ticket", "Usage", "billed_by", "may_be_billed"]


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


def may_be_billed(key: str | None, mobile: str | None) -> bool:
    """Whether a request could be billed: it has a key and a well-formed ``mobile`` hash."""
    return bool(key) and mobile is not None and is_mobile_sha256(mobile)


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
    """

    limit: int | None
    calls: int
    free: int
    billed: int
    unknown: int
    pending: int
    refused: int
    unexpected: int

    @property
    def spent(self) -> int:
        """Units gone for good: billed answers and unreadable answers to reserved calls."""
        return self.billed + self.unknown

    @property
    def committed(self) -> int:
        """Units spent or reserved right now."""
        return self.spent + self.pending


class Budget:
    """At most ``limit`` billable calls (None: no limit, but every call is still counted)."""

    def __init__(self, limit: int | None) -> None:
        if limit is not None and limit < 0:
            raise ValueError("a budget cannot be negative")
        self.limit = limit
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(
            ("calls", "free", "billed", "unknown", "pending", "refused", "unexpected"), 0
        )

    def open(self, *, key: str | None, mobile: str | None) -> Ticket:
        """Account for one request before it is sent.

        :raises BudgetExceeded: if it might be billed and no unit is left; nothing is counted
            as called then, and the caller must not send it.
        """
        reserve = may_be_billed(key, mobile)
        with self._lock:
            counts = self._counts
            if reserve:
                committed = counts["billed"] + counts["unknown"] + counts["pending"]
                if self.limit is not None and committed >= self.limit:
                    counts["refused"] += 1
                    raise BudgetExceeded(self.limit, committed)
                counts["pending"] += 1
            else:
                counts["free"] += 1
            counts["calls"] += 1
        return Ticket(self, reserve)

    def _settle(self, reserved: bool, billed: bool | None) -> None:
        with self._lock:
            counts = self._counts
            if reserved:
                counts["pending"] -= 1
                if billed is None:
                    counts["unknown"] += 1
                elif billed:
                    counts["billed"] += 1
            elif billed:
                counts["billed"] += 1
                counts["unexpected"] += 1

    def usage(self) -> Usage:
        with self._lock:
            return Usage(limit=self.limit, **self._counts)

    def __repr__(self) -> str:
        u = self.usage()
        return f"Budget(limit={self.limit}, calls={u.calls}, billed={u.billed}, spent={u.spent})"


class Ticket:
    """One accounted request; :meth:`close` it with the answer's body (or None)."""

    def __init__(self, budget: Budget, reserved: bool) -> None:
        self._budget = budget
        self.reserved = reserved
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
        self._budget._settle(self.reserved, self.billed)
        return self.billed
