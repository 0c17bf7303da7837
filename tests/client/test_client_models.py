"""The result type: a generated enum of tenure codes, and a frozen result."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from client import Tenure, TenureResult
from contract import TENURE_CODES


def test_tenure_members_are_the_catalogue_codes_in_order() -> None:
    assert [member.value for member in Tenure] == list(TENURE_CODES)


@pytest.mark.parametrize("code", list(TENURE_CODES))
def test_tenure_member_carries_catalogue_range_and_words(code: str) -> None:
    member = Tenure(code)
    entry = TENURE_CODES[code]
    assert member == code  # a str enum: compares equal to the wire string
    assert member.name == f"CODE_{code}"
    assert member.entry is entry
    assert (member.months_above, member.months_up_to) == (entry.months_above, entry.months_up_to)
    assert member.words == entry.words
    assert member.english == entry.english
    assert member.is_range is (code != "99")


@pytest.mark.parametrize(("months", "code"), [(3, "1"), (4, "2"), (12, "3"), (24, "4"), (25, "5")])
def test_tenure_contains_month_in_its_range(months: int, code: str) -> None:
    assert [m.value for m in Tenure if m.contains(months)] == [code]


def test_tenure_rejects_unknown_wire_string() -> None:
    with pytest.raises(ValueError):
        Tenure("6")


def test_tenure_survives_pickle() -> None:
    assert pickle.loads(pickle.dumps(Tenure("3"))) is Tenure("3")


def test_result_months_are_numbers_from_the_code() -> None:
    result = TenureResult(Tenure("3"), "J201901141703399055", "ab" * 32)
    assert (result.months_above, result.months_up_to) == (6, 12)
    assert result.in_network
    assert dataclasses.asdict(result)["months_up_to"] == 12
    assert TenureResult(Tenure("5"), "J1", "ab" * 32).months_up_to is None
    gone = TenureResult(Tenure("99"), "J1", "ab" * 32)
    assert (gone.months_above, gone.months_up_to, gone.in_network) == (None, None, False)


def test_result_is_frozen_and_hashable_ignoring_body() -> None:
    one = TenureResult(Tenure("1"), "J1", "ab" * 32, body={"a": 1})
    two = TenureResult(Tenure("1"), "J1", "ab" * 32, body={"b": 2})
    assert one == two
    assert hash(one) == hash(two)
    assert "body" not in repr(one)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.orderid = "J2"  # type: ignore[misc]
