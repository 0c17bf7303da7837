"""One run's accounting: its budget, its record of answers, its plan, its summary line.

:class:`RunTally` is what every ``juhe_target`` of a pytest run shares: the spend budget
(shared by the run's xdist workers through a file), the record that answers an identical
request a second time without sending it (Hypothesis replays a failing example once to
report it: against live that would be one more billed call, or "budget exhausted" in
place of the drift it found), the requests a ``--juhe-plan`` run would have made, and the
counts for the one summary line the run ends with.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..codes import BASE_URL
from ..keys import key_digest
from .budget import Budget
from .identify import Identity
from .plan import PlannedRequest
from .probe import Answer

__all__ = ["RunTally", "TargetSpec"]


@dataclass(frozen=True)
class TargetSpec:
    """``--juhe-target`` resolved: ``mock`` (in process), ``url`` (a juhe-mock at a URL) or
    ``live`` (anything else, the vendor included), and where."""

    kind: str
    base_url: str | None = None
    identity: Identity | None = None

    @classmethod
    def parse(cls, text: str) -> TargetSpec:
        """``mock``, ``live`` or an http(s) URL; a URL is live until it proves otherwise
        (:meth:`identified`). :raises ValueError: for anything else."""
        if text == "mock":
            return cls("mock")
        if text == "live":
            return cls("live", BASE_URL)
        try:
            parts = urlsplit(text)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable:
            raise ValueError(f"{text!r}: use mock, live or an http(s) URL")
        return cls("live", text.rstrip("/"))

    def identified(self, identity: Identity) -> TargetSpec:
        """This spec, once the target said who it is: a juhe-mock URL is kind ``url``."""
        if self.kind == "mock":
            return self
        return TargetSpec("url" if identity.mock else "live", self.base_url, identity)


def request_key(method: str, key: str | None, mobile: str | None) -> tuple[str, str, str]:
    """What makes two requests the same: the method, the key (by digest) and the mobile."""
    sent = "-" if key is None else "k:" + key_digest(key)
    return (method, sent, "-" if mobile is None else "m:" + mobile)


@dataclass
class RunTally:
    """The run's budget, record, plan and counts; the mock's ledger is added as it resets."""

    spec: TargetSpec
    budget: Budget
    seed: int = 0
    plan: list[PlannedRequest] | None = None  # a list in a --juhe-plan run
    mock_calls: int = 0
    mock_billable: int = 0
    used: bool = False
    #: ``--juhe-record FILE``: where every answer received is appended (a Recorder).
    recorder: Any = field(default=None, repr=False)
    _record: dict[tuple[str, str, str], Answer] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def live(self) -> bool:
        return self.spec.kind == "live"

    def count_mock_call(self) -> None:
        with self._lock:
            self.mock_calls += 1

    def add_mock_usage(self, usage: Mapping[str, Any]) -> None:
        with self._lock:
            self.mock_billable += int(usage.get("billable", 0))

    def recall(self, request: tuple[str, str, str]) -> Answer | None:
        """The answer an identical request got earlier in this run, if any."""
        with self._lock:
            return self._record.get(request)

    def remember(self, request: tuple[str, str, str], answer: Answer) -> None:
        with self._lock:
            self._record.setdefault(request, answer)

    def planned(self, request: PlannedRequest) -> None:
        if self.plan is not None:
            with self._lock:
                self.plan.append(request)

    # --- pytest-xdist: a worker's part, handed to the controller at its end --------------

    def worker_part(self) -> dict[str, Any]:
        with self._lock:
            return {
                "used": self.used,
                "mock_calls": self.mock_calls,
                "mock_billable": self.mock_billable,
                "plan": [vars(r) for r in self.plan] if self.plan is not None else None,
            }

    def add_worker_part(self, part: Mapping[str, Any]) -> None:
        with self._lock:
            self.used = self.used or bool(part.get("used"))
            self.mock_calls += int(part.get("mock_calls", 0))
            self.mock_billable += int(part.get("mock_billable", 0))
            if self.plan is not None:
                self.plan.extend(PlannedRequest(**r) for r in part.get("plan") or [])

    def summary(self) -> str:
        """One line: calls made, billable calls, and what the mock run would have cost."""
        usage = self.budget.usage()
        limit = "no limit" if usage.limit is None else str(usage.limit)
        if self.spec.kind == "mock":
            return (
                f"juhe: {self.mock_calls} calls to the in-process mock, {self.mock_billable} "
                f"billable: against the live API this run would have cost "
                f"{self.mock_billable} billed calls (budget: {limit}, {usage.refused} refused)"
            )
        if self.live:
            where = "live API" if self.spec.base_url == BASE_URL else "live target"
        else:
            where = "server"
        line = (
            f"juhe: {usage.calls} calls to the {where} at {self.spec.base_url}, "
            f"{usage.billed} billed, {usage.spent} of budget {limit} spent, "
            f"{usage.refused} refused by the budget"
        )
        if usage.replayed:
            line += f", {usage.replayed} answered from the run's record"
        if self.live:
            line += f"; seed {self.seed} (--juhe-seed {self.seed} gives the same inputs)"
        return line + (
            f"; {self.mock_calls} calls to the in-process mock" if self.mock_calls else ""
        )
