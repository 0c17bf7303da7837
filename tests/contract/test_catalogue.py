"""The catalogue holds every code the vendor document lists, with the document's words."""

from __future__ import annotations

import pytest

import contract
from contract import ERROR_CODES, TENURE_CODES, ErrorKind


def test_catalogue_has_six_tenure_codes_in_document_order() -> None:
    assert list(TENURE_CODES) == ["1", "2", "3", "4", "5", "99"]


def test_catalogue_has_four_service_and_fourteen_system_errors() -> None:
    kinds = [e.kind for e in ERROR_CODES.values()]
    assert kinds.count(ErrorKind.SERVICE) == 4
    assert kinds.count(ErrorKind.SYSTEM) == 14


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_resultcode_present_exactly_for_system_errors(code: int) -> None:
    entry = ERROR_CODES[code]
    if entry.kind is ErrorKind.SYSTEM:
        assert entry.resultcode == str(100 + code - 10000)
    else:
        assert entry.resultcode is None
        assert str(code).startswith("2348")


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, "1"),
        (3, "1"),
        (4, "2"),
        (6, "2"),
        (7, "3"),
        (12, "3"),
        (13, "4"),
        (24, "4"),
        (25, "5"),
        (400, "5"),
    ],
)
def test_month_ranges_exclusive_below_inclusive_above(months: int, expected: str) -> None:
    holders = [t.code for t in TENURE_CODES.values() if t.contains(months)]
    assert holders == [expected]


def test_only_success_is_billed() -> None:
    assert contract.is_billed(0)
    assert not any(e.billed for e in ERROR_CODES.values())


def test_documented_reasons_on_the_wire() -> None:
    assert ERROR_CODES[234801].wire_reason() == "服务商网络异常，请重试"
    assert ERROR_CODES[10012].wire_reason() == "请求超过次数限制"
    assert ERROR_CODES[234802].wire_reason("mobile不能为空") == "参数错误:mobile不能为空"
