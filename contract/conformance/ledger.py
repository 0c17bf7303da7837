"""A spend ledger that outlives a run: caps per Beijing day and per month, across re-runs.

``--juhe-ledger FILE`` (the pytest plugin) and ``juhe-contract check --ledger FILE`` keep
their reservations in one JSON file; a reservation that would pass the day's or the
month's cap is refused before anything is sent. Every process that names the same file
shares it safely (:class:`~contract.conformance.jsonfile.LockedJson`: an ``fcntl`` lock and
atomic replacement), so both steps of a nightly, a re-run and parallel workers all count
against one cap. Days are Beijing days (the vendor's, ``contract.clock.BEIJING``); a month
is the sum of its days. The format (docs/live.md)::

    {"format": "juhe-ledger/1",
     "caps": {"day": 10, "month": 200},
     "days": {"2026-11-28": {"reserved": 9, "billed": 3, "unknown": 0, "pending": 0,
                             "refused": 1}}}

``reserved`` counts every reservation; ``billed`` the answers with ``error_code`` 0,
``unknown`` the unreadable answers (counted as spent), ``pending`` the reservations not
settled yet: a run killed mid-call leaves one there, and it stays counted as spent.
``caps`` may hold ``null`` for no cap; caps given on the command line are written into the
file, so a later run without them keeps them. Days older than 400 are dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import BEIJING
from ..errors import DocumentError
from .jsonfile import LockedJson

__all__ = ["FORMAT", "Ledger", "LedgerError", "LedgerFull", "LedgerStatus"]

FORMAT = "juhe-ledger/1"
_FIELDS = ("reserved", "billed", "unknown", "pending", "refused")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEPT_DAYS = 400


class LedgerError(DocumentError):
    """A ledger file that cannot be used: which file, which field, why."""


class LedgerFull(Exception):
    """The ledger's cap for ``period`` (``day`` or ``month``) has no unit left."""

    def __init__(self, period: str, when: str, cap: int, committed: int, path: str) -> None:
        super().__init__(
            f"the {period} cap of ledger {path} is {cap} billable call(s) and {committed} "
            f"are spent or reserved ({when}, Beijing time)"
        )
        self.period, self.when, self.cap, self.committed, self.path = (
            period, when, cap, committed, path,
        )  # fmt: skip


@dataclass(frozen=True)
class LedgerStatus:
    """Today's and this month's spend (billed + unknown + pending) and their caps."""

    day: str
    day_committed: int
    month_committed: int
    day_cap: int | None
    month_cap: int | None

    def left(self) -> int | None:
        """Units the caps leave now (None: no cap)."""
        lefts = [
            cap - used
            for cap, used in ((self.day_cap, self.day_committed),
                              (self.month_cap, self.month_committed))
            if cap is not None
        ]  # fmt: skip
        return max(0, min(lefts)) if lefts else None


def _empty() -> dict[str, Any]:
    return {"format": FORMAT, "caps": {"day": None, "month": None}, "days": {}}


def _committed(entry: Mapping[str, int]) -> int:
    return int(entry.get("billed", 0)) + int(entry.get("unknown", 0)) + int(entry.get("pending", 0))


class Ledger:
    """The ledger in ``path``; ``day_cap`` / ``month_cap`` replace the file's caps if given.

    :raises LedgerError: now, if the file exists and is not a ledger (naming the field).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        day_cap: int | None = None,
        month_cap: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self._source = str(path)
        self._clock = clock
        self._file = LockedJson(self.path, _empty, self._check)
        if not self.path.parent.is_dir():
            raise LedgerError(self._source, "$", "its folder does not exist")
        for name, cap in (("day", day_cap), ("month", month_cap)):
            if cap is not None and (type(cap) is not int or cap < 0):
                raise LedgerError(self._source, f"$.caps.{name}", "must be 0 or more")
        try:
            if day_cap is not None or month_cap is not None:
                self._file.update(lambda data: self._set_caps(data, day_cap, month_cap))
            else:
                self._file.read()
        except OSError as exc:
            raise LedgerError(self._source, "$", f"cannot use it ({type(exc).__name__})") from None

    @staticmethod
    def _set_caps(data: dict[str, Any], day: int | None, month: int | None) -> None:
        if day is not None:
            data["caps"]["day"] = day
        if month is not None:
            data["caps"]["month"] = month

    def _check(self, data: Any) -> None:
        def bad(path: str, why: str) -> LedgerError:
            return LedgerError(self._source, path, why)

        if not isinstance(data, dict):
            raise bad("$", "must be a JSON object (a juhe ledger)")
        if data.get("format") != FORMAT:
            raise bad("$.format", f"must be {FORMAT!r}")
        caps = data.get("caps")
        if not isinstance(caps, dict) or set(caps) - {"day", "month"}:
            raise bad("$.caps", "must be an object with day and month (a number or null)")
        for name in ("day", "month"):
            cap = caps.setdefault(name, None)
            if cap is not None and (type(cap) is not int or cap < 0):
                raise bad(f"$.caps.{name}", "must be a whole number, 0 or more, or null")
        days = data.get("days")
        if not isinstance(days, dict):
            raise bad("$.days", "must be an object of Beijing dates (YYYY-MM-DD)")
        for day, entry in days.items():
            if not _DAY.fullmatch(day):
                raise bad(f"$.days.{day}", "must be a date, YYYY-MM-DD")
            if not isinstance(entry, dict):
                raise bad(f"$.days.{day}", "must be an object of counts")
            for name in _FIELDS:
                value = entry.setdefault(name, 0)
                if type(value) is not int or value < 0:
                    raise bad(f"$.days.{day}.{name}", "must be a whole number, 0 or more")

    def _today(self) -> str:
        return dt.datetime.fromtimestamp(self._clock(), BEIJING).strftime("%Y-%m-%d")

    def _status(self, data: Mapping[str, Any]) -> LedgerStatus:
        day = self._today()
        days = data["days"]
        month = sum(_committed(e) for d, e in days.items() if d[:7] == day[:7])
        return LedgerStatus(
            day, _committed(days.get(day, {})), month, data["caps"]["day"], data["caps"]["month"]
        )

    def status(self, *, day_cap: int | None = None, month_cap: int | None = None) -> LedgerStatus:
        """Today's and this month's spend, read under a shared lock; caps given here stand
        in for the file's without being written (``--plan`` writes nothing)."""
        status = self._status(self._file.read())
        return dataclasses.replace(
            status,
            day_cap=status.day_cap if day_cap is None else day_cap,
            month_cap=status.month_cap if month_cap is None else month_cap,
        )

    def reserve(self) -> str:
        """Reserve one unit today; returns the day it is booked on.

        :raises LedgerFull: when the day's or the month's cap has none left (counted as
            refused in the file).
        """

        def reserve(data: dict[str, Any]) -> str | LedgerFull:
            status = self._status(data)
            entry = data["days"].setdefault(status.day, dict.fromkeys(_FIELDS, 0))
            for period, cap, used, when in (
                ("day", status.day_cap, status.day_committed, status.day),
                ("month", status.month_cap, status.month_committed, status.day[:7]),
            ):
                if cap is not None and used >= cap:
                    entry["refused"] += 1
                    return LedgerFull(period, when, cap, used, self._source)
            entry["reserved"] += 1
            entry["pending"] += 1
            _prune(data["days"], status.day)
            return status.day

        booked = self._file.update(reserve)
        if isinstance(booked, LedgerFull):
            raise booked
        return booked

    def settle(self, day: str | None, billed: bool | None, *, reserved: bool = True) -> None:
        """Settle a reservation booked on ``day`` (a free call billed anyway: ``reserved``
        False, booked today)."""

        def settle(data: dict[str, Any]) -> None:
            when = day or self._today()
            entry = data["days"].setdefault(when, dict.fromkeys(_FIELDS, 0))
            if reserved:
                entry["pending"] = max(0, entry["pending"] - 1)
                if billed is None:
                    entry["unknown"] += 1
            if billed:
                entry["billed"] += 1

        self._file.update(settle)


def _prune(days: dict[str, Any], today: str) -> None:
    first = dt.date.fromisoformat(today) - dt.timedelta(days=_KEPT_DAYS)
    for day in [d for d in days if d < first.isoformat()]:
        del days[day]
