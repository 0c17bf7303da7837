"""The Hypothesis profile against live: few examples, no shrinking or replays, no deadline,
and no more billable examples than the budget has left. Checked on the settings objects
(nothing here calls the vendor)."""

from __future__ import annotations

import pytest
import requests
from hypothesis import Phase, settings

from contract.bodies import error_body, success_body
from contract.conformance.budget import Budget
from contract.conformance.target import (
    LIVE_BILLABLE_EXAMPLES,
    LIVE_FREE_EXAMPLES,
    JuheTarget,
    live_settings,
)

HASH = "c" * 64


def target(kind: str, budget: Budget) -> JuheTarget:
    return JuheTarget(
        kind=kind, base_url="http://127.0.0.1:9", key="k", strict=kind != "live",
        budget=budget, session=requests.Session(),
    )  # fmt: skip


def spend(budget: Budget, billed: int, pending: int = 0) -> None:
    for _ in range(billed):
        budget.open(key="k", mobile=HASH).close(success_body("3", "J201901141703399055"))
    for _ in range(pending):
        budget.open(key="k", mobile=HASH)  # reserved, not yet answered


def test_live_profile_replays_nothing_shrinks_nothing_and_has_no_deadline() -> None:
    sized = target("live", Budget(5)).sized(billable=True)
    assert Phase.shrink not in sized.phases and Phase.reuse not in sized.phases
    assert Phase.generate in sized.phases
    assert sized.database is None
    assert sized.deadline is None


# (limit, billed, pending, billable, examples asked, max_examples expected)
SIZES = [
    (0, 0, 0, False, None, LIVE_FREE_EXAMPLES),  # free probes need no budget
    (None, 0, 0, True, None, LIVE_BILLABLE_EXAMPLES),
    (10, 0, 0, True, None, LIVE_BILLABLE_EXAMPLES),
    (2, 0, 0, True, None, 2),
    (5, 3, 1, True, None, 1),
    (3, 3, 0, True, None, 1),  # nothing left: one call, which fails closed naming the budget
    (0, 0, 0, True, None, 1),
    (4, 0, 0, True, 50, 4),  # --juhe-examples cannot outrun the budget
    (0, 0, 0, False, 7, 7),
]


@pytest.mark.parametrize(("limit", "billed", "pending", "billable", "asked", "expected"), SIZES)
def test_live_examples_are_sized_to_the_budget_left(
    limit: int | None, billed: int, pending: int, billable: bool, asked: int | None, expected: int
) -> None:
    budget = Budget(limit)
    spend(budget, billed, pending)
    assert live_settings(budget, billable=billable, examples=asked).max_examples == expected
    assert target("live", budget).sized(billable=billable, examples=asked).max_examples == (
        expected
    )


def test_released_units_count_as_left_again() -> None:
    budget = Budget(2)
    budget.open(key="k", mobile=HASH).close(error_body(234803))  # free: its unit comes back
    assert live_settings(budget, billable=True).max_examples == 2


@pytest.mark.parametrize("kind", ["mock", "url"])
def test_other_targets_keep_the_loaded_profile_without_a_deadline(kind: str) -> None:
    sized = target(kind, Budget(0)).sized(billable=True)
    assert sized.max_examples == settings.default.max_examples  # the budget does not shrink it
    assert sized.deadline is None
    assert Phase.shrink in sized.phases
    assert target(kind, Budget(0)).sized(examples=9).max_examples == 9
