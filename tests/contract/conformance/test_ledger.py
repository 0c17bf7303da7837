"""The persistent ledger and the shared run budget: Beijing days, caps per day and month,
and exact counts under concurrent writers (threads and processes)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from contract.bodies import error_body, success_body
from contract.clock import BEIJING
from contract.conformance.budget import Budget, BudgetExceeded, LedgerCapReached
from contract.conformance.ledger import FORMAT, Ledger, LedgerError

from ...helpers.paths import ROOT

SUCCESS = success_body("3", "J201901141703399055")
HASH = "a" * 64


def at(*when: int) -> float:
    return dt.datetime(*when, tzinfo=BEIJING).timestamp()


def test_a_day_cap_refuses_and_a_beijing_midnight_starts_afresh(tmp_path: Path) -> None:
    now = [at(2026, 11, 28, 23, 59, 0)]
    ledger = Ledger(tmp_path / "l.json", day_cap=2, clock=lambda: now[0])
    budget = Budget(None, key="k", ledger=ledger)
    for _ in range(2):
        budget.open(key="k", mobile=HASH).close(SUCCESS)
    with pytest.raises(LedgerCapReached, match="the day cap of ledger"):
        budget.open(key="k", mobile=HASH)
    now[0] = at(2026, 11, 29, 0, 0, 0)  # 16:00 UTC: a new day in Beijing
    budget.open(key="k", mobile=HASH).close(SUCCESS)
    data = json.loads((tmp_path / "l.json").read_text("utf-8"))
    assert data["format"] == FORMAT and data["caps"] == {"day": 2, "month": None}
    assert data["days"]["2026-11-28"]["billed"] == 2 and data["days"]["2026-11-28"]["refused"] == 1
    assert data["days"]["2026-11-29"]["billed"] == 1


def test_a_month_cap_sums_the_days_of_the_month(tmp_path: Path) -> None:
    now = [at(2026, 11, 1, 9, 0, 0)]
    ledger = Ledger(tmp_path / "l.json", month_cap=3, clock=lambda: now[0])
    budget = Budget(None, key="k", ledger=ledger)
    for day in (1, 2, 30):
        now[0] = at(2026, 11, day, 9, 0, 0)
        budget.open(key="k", mobile=HASH).close(SUCCESS)
    with pytest.raises(LedgerCapReached, match="month cap"):
        budget.open(key="k", mobile=HASH)
    now[0] = at(2026, 12, 1, 0, 0, 1)
    budget.open(key="k", mobile=HASH).close(SUCCESS)


def test_free_answers_give_the_unit_back_and_unreadable_ones_keep_it(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.json", day_cap=1)
    budget = Budget(None, key="k", ledger=ledger)
    for _ in range(3):
        budget.open(key="k", mobile="bad").close(error_body(234802))
    budget.open(key="k", mobile=HASH).close(None)  # no readable answer: counted as spent
    with pytest.raises(BudgetExceeded):
        budget.open(key="k", mobile=HASH)
    status = ledger.status()
    assert (status.day_committed, status.left()) == (1, 0)


def test_caps_given_once_stay_in_the_file(tmp_path: Path) -> None:
    Ledger(tmp_path / "l.json", day_cap=4, month_cap=40)
    assert Ledger(tmp_path / "l.json").status().day_cap == 4
    assert Ledger(tmp_path / "l.json").status(day_cap=9).day_cap == 9  # not written
    assert Ledger(tmp_path / "l.json").status().day_cap == 4


def test_a_ledger_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match=r"\$: its folder does not exist"):
        Ledger(tmp_path / "absent" / "l.json")


_WRITER = """
import sys
from contract.bodies import success_body
from contract.conformance.budget import Budget, BudgetExceeded
from contract.conformance.ledger import Ledger

ledger, counts = sys.argv[1], sys.argv[2]
budget = Budget(None if counts == "-" else 30, key="k", ledger=Ledger(ledger, day_cap=30),
                shared=None if counts == "-" else counts)
billed = 0
for _ in range(20):
    try:
        ticket = budget.open(key="k", mobile="a" * 64)
    except BudgetExceeded:
        continue
    ticket.close(success_body("3", "J201901141703399055"))
    billed += 1
print(billed)
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("shared", [False, True], ids=["ledger", "ledger-and-run-counts"])
def test_concurrent_processes_never_pass_the_cap(tmp_path: Path, shared: bool) -> None:
    ledger, counts = tmp_path / "ledger.json", tmp_path / "run.json"
    command = [sys.executable, "-c", _WRITER, str(ledger), str(counts) if shared else "-"]
    writers = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    billed = [int(w.communicate(timeout=120)[0]) for w in writers]
    assert sum(billed) == 30  # 80 tries for 30 units: exactly the cap, none lost or doubled
    (day,) = json.loads(ledger.read_text("utf-8"))["days"].values()
    # With run counts of its own, the run's budget (30 too) refuses first.
    assert (day["billed"], day["pending"], day["refused"]) == (30, 0, 0 if shared else 50)
    if shared:
        run = json.loads(counts.read_text("utf-8"))
        assert (run["billed"], run["pending"], run["refused"]) == (30, 0, 50)


def test_a_shared_budget_waits_for_a_unit_another_holds(tmp_path: Path) -> None:
    # Two workers, one unit: a keyed free call holds it; the other's reservation waits for
    # it to come back instead of failing the test.
    counts = tmp_path / "run.json"
    first = Budget(1, key="k", shared=counts, wait_s=5)
    second = Budget(1, key="k", shared=counts, wait_s=5)
    held = first.open(key="k", mobile="bad")
    threading.Timer(0.2, lambda: held.close(error_body(234802))).start()
    second.open(key="k", mobile=HASH).close(SUCCESS)  # waited, then got the unit
    with pytest.raises(BudgetExceeded):  # spent for good now: refused at once
        first.open(key="k", mobile=HASH)
    assert first.usage().billed == 1 and second.usage().refused == 1
