"""contract.conformance.budget: reserve before a call that might be billed, release if free."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.bodies import error_body, success_body
from contract.conformance.budget import Budget, BudgetExceeded, billed_by, billing, may_be_billed

from ...helpers.threads import flat, on_threads

HASH = "a" * 64
SUCCESS = success_body("3", "J201901141703399055")
NO_RECORD = error_body(234803)

# (key sent, the run's key, expected): only a call that carries the run's key can be billed
# to us, whatever its mobile; without a run's key, any key might be ours.
MAY_BE_BILLED = [
    ("key", None, True),
    ("key", "key", True),
    ("other", "key", False),
    (None, "key", False),
    ("", "key", False),
    (None, None, False),
    ("", None, False),
]


@pytest.mark.parametrize(("key", "real_key", "expected"), MAY_BE_BILLED)
def test_may_be_billed_exactly_when_the_call_carries_the_key(
    key: str | None, real_key: str | None, expected: bool
) -> None:
    assert may_be_billed(key, real_key=real_key) is expected


# (key, mobile, billing): yes = billed on success; reserves = should be free, a unit is
# held until the answer says so; no = cannot be billed to us.
BILLING = [
    ("k", HASH, "yes"),
    ("k", HASH.upper(), "yes"),
    ("k", None, "reserves"),
    ("k", "", "reserves"),
    ("k", HASH[:63], "reserves"),
    ("k", "13000000003", "reserves"),
    (None, HASH, "no"),
    ("", HASH, "no"),
    ("wrong", HASH, "no"),
]


@pytest.mark.parametrize(("key", "mobile", "expected"), BILLING)
def test_billing_of_a_request(key: str | None, mobile: str | None, expected: str) -> None:
    assert billing(key, mobile, real_key="k") == expected


BILLED_BY = [
    (SUCCESS, True),
    (NO_RECORD, False),
    (error_body(10001), False),
    ({"error_code": "0"}, None),
    ({"error_code": True}, None),
    (None, None),
    ([], None),
]


@pytest.mark.parametrize(("body", "expected"), BILLED_BY)
def test_billed_by_reads_only_an_integer_error_code(body: object, expected: bool | None) -> None:
    assert billed_by(body) is expected


def test_calls_without_the_key_need_no_reservation_even_at_budget_zero() -> None:
    budget = Budget(0, key="k")
    for _ in range(5):
        budget.open(key=None, mobile=HASH).close(error_body(10001))
        budget.open(key="", mobile="bad").close(error_body(10001))
        budget.open(key="wrong", mobile=HASH).close(error_body(10001))
    usage = budget.usage()
    assert (usage.calls, usage.free, usage.spent, usage.refused) == (15, 15, 0, 0)


def test_a_keyed_call_with_a_malformed_mobile_reserves_a_unit() -> None:
    budget = Budget(0, key="k")
    with pytest.raises(BudgetExceeded, match="budget 0"):
        budget.open(key="k", mobile="bad")
    one = Budget(1, key="k")
    for _ in range(3):  # each free answer gives the one unit back for the next call
        one.open(key="k", mobile="bad").close(error_body(234802))
    assert one.usage().spent == 0


def test_a_lenient_host_billing_malformed_mobiles_is_stopped_at_the_budget() -> None:
    # A stand-in that bills every keyed call: six malformed mobiles against a budget of 1.
    budget = Budget(1, key="k")
    sent = 0
    for _ in range(6):
        try:
            ticket = budget.open(key="k", mobile="13000000003")
        except BudgetExceeded:
            continue
        sent += 1
        ticket.close(SUCCESS)
    assert sent == 1
    assert (budget.usage().billed, budget.usage().refused) == (1, 5)


def test_budget_zero_refuses_a_call_that_might_be_billed() -> None:
    budget = Budget(0)
    with pytest.raises(BudgetExceeded, match="budget 0"):
        budget.open(key="k", mobile=HASH)
    usage = budget.usage()
    assert (usage.calls, usage.refused, usage.pending) == (0, 1, 0)


def test_free_answer_releases_its_unit() -> None:
    budget = Budget(1)
    for _ in range(3):
        budget.open(key="k", mobile=HASH).close(NO_RECORD)
    ticket = budget.open(key="k", mobile=HASH)
    assert ticket.close(SUCCESS) is True
    with pytest.raises(BudgetExceeded):
        budget.open(key="k", mobile=HASH)
    assert budget.usage().billed == 1


def test_reservation_counts_before_the_answer() -> None:
    budget = Budget(1)
    ticket = budget.open(key="k", mobile=HASH)
    with pytest.raises(BudgetExceeded):
        budget.open(key="k", mobile=HASH)  # the first call is still out
    ticket.close(NO_RECORD)
    budget.open(key="k", mobile=HASH)


def test_unreadable_answer_keeps_its_unit() -> None:
    budget = Budget(2)
    budget.open(key="k", mobile=HASH).close(None)  # a 502 page, broken JSON, no answer
    budget.open(key="k", mobile=HASH).close({"error_code": "0"})
    usage = budget.usage()
    assert (usage.unknown, usage.spent) == (2, 2)
    with pytest.raises(BudgetExceeded):
        budget.open(key="k", mobile=HASH)


def test_a_free_call_billed_anyway_is_counted_as_unexpected() -> None:
    budget = Budget(0)
    budget.open(key=None, mobile=HASH).close(SUCCESS)
    usage = budget.usage()
    assert (usage.billed, usage.unexpected) == (1, 1)


def test_closing_twice_settles_once() -> None:
    budget = Budget(3)
    ticket = budget.open(key="k", mobile=HASH)
    ticket.close(SUCCESS)
    ticket.close(SUCCESS)
    assert budget.usage().billed == 1


def test_no_limit_counts_everything() -> None:
    budget = Budget(None)
    for _ in range(50):
        budget.open(key="k", mobile=HASH).close(SUCCESS)
    assert budget.usage().billed == 50


def test_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        Budget(-1)


def test_exact_under_eight_threads() -> None:
    budget = Budget(7)

    def worker(_: int) -> list[int]:
        refused = []
        for _ in range(10):
            try:
                ticket = budget.open(key="k", mobile=HASH)
            except BudgetExceeded:
                refused.append(1)
                continue
            ticket.close(SUCCESS)
        return refused

    refused = flat(on_threads(8, worker, together=False))
    usage = budget.usage()
    assert usage.billed == 7
    assert len(refused) == 80 - 7


CALLS = st.lists(
    st.tuples(
        st.sampled_from([("k", HASH), (None, HASH), ("k", "x"), ("other", HASH)]),
        st.sampled_from([SUCCESS, NO_RECORD, None]),
    ),
    max_size=40,
)


@given(limit=st.integers(0, 6), calls=CALLS)
def test_spent_never_exceeds_the_limit(limit: int, calls: list[tuple[Any, Any]]) -> None:
    budget = Budget(limit, key="k")
    for (key, mobile), body in calls:
        try:
            ticket = budget.open(key=key, mobile=mobile)
        except BudgetExceeded:
            assert may_be_billed(key, real_key="k")
            continue
        # A server that bills a free call is the only way past the limit (counted apart).
        ticket.close(body if ticket.reserved else NO_RECORD)
        assert budget.usage().spent <= limit
