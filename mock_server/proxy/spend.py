"""The proxy's budget: a unit reserved before every forwarded lookup, per Beijing day and month.

Whether a lookup is billed is known only once it is answered, so a unit of the day's and
the month's budget is taken *before* the lookup is forwarded, and given back when it turns
out free: an answer with another ``error_code`` than 0, or a request that never left
(the connection could not be made). An unreadable answer (a 5xx, broken JSON, a timeout
after the request was sent) keeps its unit: it may have been billed. A lookup that finds no
unit left is not forwarded.

Where the counts live (docs/proxy.md):

* :class:`StoreSpend`: in the mock's store, under ``kept:`` counters that a reset never
  clears. With ``--state redis://`` every replica on that Redis takes its units in one Lua
  step, so N replicas together pay at most the budget; in memory, one process's (a restart
  starts the day afresh: the proxy says so when it starts).
* :class:`LedgerSpend`: the persistent ledger file of the live path
  (``contract.conformance.ledger``, ``--ledger FILE``): it outlives restarts, and the
  nightly's ``--juhe-ledger``/``--ledger`` with the same file shares its caps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract.clock import BEIJING

from ..state.store import KEPT_PREFIX, Store

__all__ = ["Held", "LedgerSpend", "Refused", "Spend", "StoreSpend"]

#: A cap of "none": a counter that no run reaches.
_NO_CAP = 10**15
#: How long a day's or a month's counter is kept in Redis (then it is not needed any more).
_KEEP_S = 40 * 86400.0


@dataclass(frozen=True)
class Held:
    """One reserved unit: what to give back if the lookup turns out free."""

    keys: tuple[str, ...] = ()
    day: str | None = None


@dataclass(frozen=True)
class Refused:
    """No unit left: which period (``day``/``month``), its cap, its date, where counted."""

    period: str
    cap: int
    when: str

    def words(self) -> str:
        return (
            f"the proxy's budget per {self.period} is {self.cap} billable lookup(s) and it is "
            f"used up ({self.when}, Beijing time); the lookup was not forwarded"
        )


def _today(now: float) -> str:
    return dt.datetime.fromtimestamp(now, BEIJING).strftime("%Y-%m-%d")


class Spend:
    """The budget's interface (blocking: the proxy calls it on its thread pool)."""

    where = "memory"

    def reserve(self, now: float) -> Held | Refused:
        raise NotImplementedError

    def settle(self, held: Held, billed: bool | None) -> None:
        """``billed``: True kept and billed, False given back (free, or never sent), None
        kept (unknown)."""
        raise NotImplementedError

    def usage(self, now: float) -> dict[str, Any]:
        raise NotImplementedError


class StoreSpend(Spend):
    """The budget in the mock's store (exact across replicas on one Redis)."""

    def __init__(self, store: Store, day_cap: int | None, month_cap: int | None) -> None:
        self.store = store
        self.caps = {"day": day_cap, "month": month_cap}
        self.where = "redis" if getattr(store, "url", None) else "memory"

    @staticmethod
    def _keys(today: str) -> tuple[str, str]:
        return f"{KEPT_PREFIX}spend:day:{today}", f"{KEPT_PREFIX}spend:month:{today[:7]}"

    def reserve(self, now: float) -> Held | Refused:
        today = _today(now)
        keys = self._keys(today)
        caps = [self.caps["day"], self.caps["month"]]
        limits = [_NO_CAP if cap is None else cap for cap in caps]
        claims = list(zip(keys, limits, strict=True))
        full = self.store.take_if_all_below(claims, ttl_s=_KEEP_S)
        if full is None:
            return Held(keys, today)
        period = ("day", "month")[full]
        cap = caps[full]
        assert cap is not None  # only a real cap can be reached
        return Refused(period, cap, today if period == "day" else today[:7])

    def settle(self, held: Held, billed: bool | None) -> None:
        if billed is False:
            for key in held.keys:
                self.store.incr(key, -1)

    def usage(self, now: float) -> dict[str, Any]:
        today = _today(now)
        day, month = (self.store.get(key) for key in self._keys(today))
        return {
            "where": self.where,
            "day": {"date": today, "cap": self.caps["day"], "spent": day},
            "month": {"date": today[:7], "cap": self.caps["month"], "spent": month},
        }


class LedgerSpend(Spend):
    """The budget in a ledger file (``contract.conformance.ledger``), shared with the live
    path's runs that name the same file."""

    where = "ledger"

    def __init__(
        self, path: str, day_cap: int | None, month_cap: int | None, clock: Callable[[], float]
    ) -> None:
        from contract.conformance.ledger import Ledger

        self.ledger = Ledger(path, day_cap=day_cap, month_cap=month_cap, clock=clock)
        self.where = f"ledger {path}"

    def reserve(self, now: float) -> Held | Refused:
        from contract.conformance.ledger import LedgerFull

        try:
            return Held(day=self.ledger.reserve())
        except LedgerFull as full:
            return Refused(full.period, full.cap, full.when)

    def settle(self, held: Held, billed: bool | None) -> None:
        self.ledger.settle(held.day, billed)

    def usage(self, now: float) -> dict[str, Any]:
        status = self.ledger.status()
        return {
            "where": self.where,
            "day": {"date": status.day, "cap": status.day_cap, "spent": status.day_committed},
            "month": {
                "date": status.day[:7],
                "cap": status.month_cap,
                "spent": status.month_committed,
            },
        }
