"""A plan before any spend: every request a run would make, and the most it can cost.

``juhe-contract check --plan`` and ``pytest --juhe-plan`` send nothing to the target. They
list each request (which probe or test, which key, which method, whether it is billable)
and say what the run needs from the budget; the exit status is non-zero when the budget
(or what the ledger's caps leave) is less. A request is billable (``yes``) when it carries
the key and a well-formed hash: it is billed if it succeeds. One that carries the key with
a malformed ``mobile`` ``reserves`` a unit that comes back when the answer is free (as
the contract says it is), so those need one unit at most, one after another. One without
the key cannot be billed to us (``no``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .ledger import LedgerStatus

__all__ = ["Plan", "PlannedRequest", "plan_report"]


@dataclass(frozen=True)
class PlannedRequest:
    """One request of the plan: ``key`` says which key (never the key), ``billing`` is
    ``yes``, ``reserves`` or ``no``."""

    probe: str
    key: str
    method: str
    billing: str


@dataclass(frozen=True)
class Plan:
    requests: tuple[PlannedRequest, ...]

    def count(self, billing: str) -> int:
        return sum(1 for r in self.requests if r.billing == billing)

    @property
    def needs(self) -> int:
        """The budget the run needs to send every request it plans."""
        return max(self.count("yes"), 1 if self.count("reserves") else 0)

    @property
    def worst(self) -> int:
        """What it would cost if the target billed every request that carries the key."""
        return self.count("yes") + self.count("reserves")

    def fits(self, limit: int | None, ledger: LedgerStatus | None = None) -> bool:
        room = [x for x in (limit, ledger.left() if ledger is not None else None) if x is not None]
        return all(self.needs <= x for x in room)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _ledger_words(status: LedgerStatus) -> str:
    parts = []
    periods = (
        ("today", status.day_cap, status.day_committed),
        ("this month", status.month_cap, status.month_committed),
    )
    for period, cap, used in periods:
        if cap is None:
            parts.append(f"{used} spent {period} (no cap)")
        else:
            parts.append(f"{max(0, cap - used)} left {period} (cap {cap}, {used} spent)")
    return "ledger: " + ", ".join(parts)


def plan_report(
    plan: Plan,
    *,
    target: str,
    limit: int | None,
    ledger: LedgerStatus | None = None,
    grouped: bool = False,
    note: str = "",
) -> str:
    """The plan as a table and its verdict; ``grouped`` counts identical requests."""
    header = ("#", "probe", "key", "method", "billable")
    rows: list[tuple[str, ...]]
    if grouped:
        rows = [(*header, "requests")]
        counts = Counter(plan.requests)
        for i, (r, n) in enumerate(counts.items(), 1):
            rows.append((str(i), r.probe, r.key, r.method, r.billing, str(n)))
    else:
        rows = [header]
        for i, r in enumerate(plan.requests, 1):
            rows.append((str(i), r.probe, r.key, r.method, r.billing))
    yes, reserves, free = plan.count("yes"), plan.count("reserves"), plan.count("no")
    budget = "no limit" if limit is None else str(limit)
    lines = [f"juhe plan for {target}: nothing was sent" + (f" ({note})" if note else "")]
    lines += _table(rows)
    lines += [
        "",
        f"requests: {len(plan.requests)} ({yes} billable, {reserves} reserving a unit that "
        f"comes back when the answer is free, {free} without the key)",
        f"most it can cost: {yes} billed call(s); {plan.worst} if the target billed every "
        "request that carries the key (the budget stops it there)",
        f"needs a budget of at least {plan.needs}; budget: {budget}"
        + (f"; {_ledger_words(ledger)}" if ledger is not None else ""),
    ]
    if plan.fits(limit, ledger):
        lines.append("plan: fits the budget")
    else:
        lines.append(
            "plan: OVER BUDGET: the run would refuse the calls past the budget and report "
            "them as failures (raise the budget or send fewer)"
        )
    return "\n".join(lines) + "\n"
