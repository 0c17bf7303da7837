"""fixtures/: the vendor example, the magic numbers and one example body per code."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from contract import (
    ERROR_CODES,
    MAGIC_BY_HASH,
    MAGIC_NUMBERS,
    TENURE_CODES,
    documents,
    schemas,
    validate,
)

from ..helpers.paths import FIXTURES, read_fixture

MAGIC: list[dict[str, Any]] = read_fixture("magic_numbers.json")["magic_numbers"]
EXAMPLES: dict[str, dict[str, Any]] = read_fixture("examples.json")
ALL_CODES: list[str | int] = [*TENURE_CODES, *ERROR_CODES]


def test_vendor_example_validates_strictly() -> None:
    body = read_fixture("vendor_example.json")
    assert body == {
        "reason": "成功",
        "result": {"code": "3", "orderid": "J201901141703399055"},
        "error_code": 0,
    }
    assert validate(body, strict=True) == []
    assert schemas.validator("response").is_valid(body)


@pytest.mark.parametrize("name", sorted(documents.build_fixtures()))
def test_derived_fixture_file_is_current(name: str) -> None:
    committed = (FIXTURES / name).read_text(encoding="utf-8")
    assert committed == documents.build_fixtures()[name], "run `python -m contract.documents`"


def test_magic_table_has_one_row_per_code() -> None:
    codes = [row["tenure"] if row["error_code"] == 0 else row["error_code"] for row in MAGIC]
    assert codes == ALL_CODES


@pytest.mark.parametrize("row", MAGIC, ids=[r["phone"] for r in MAGIC])
def test_magic_row_is_130_plus_padded_code_and_its_sha256(row: dict[str, Any]) -> None:
    code = row["tenure"] if row["error_code"] == 0 else row["error_code"]
    assert row["phone"] == "130" + str(code).zfill(8)
    assert row["sha256"] == hashlib.sha256(row["phone"].encode("ascii")).hexdigest()
    magic = MAGIC_NUMBERS[row["phone"]]
    assert (magic.sha256, magic.error_code, magic.tenure) == (
        row["sha256"],
        row["error_code"],
        row["tenure"],
    )
    assert MAGIC_BY_HASH[row["sha256"]] == magic


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("13000000003", "3"), ("13000000099", "99"), ("13000234801", 234801), ("13000010012", 10012)],
)
def test_magic_numbers_named_in_the_issue(phone: str, expected: str | int) -> None:
    assert MAGIC_NUMBERS[phone].code == expected


def test_examples_fixture_has_one_body_per_code() -> None:
    codes = [
        e["value"]["result"]["code"] for e in EXAMPLES.values() if e["value"]["error_code"] == 0
    ]
    codes += [e["value"]["error_code"] for e in EXAMPLES.values() if e["value"]["error_code"] != 0]
    assert codes == ALL_CODES


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_body_is_valid(name: str) -> None:
    body = EXAMPLES[name]["value"]
    assert validate(body, strict=True) == []
    assert schemas.validator("response").is_valid(body)
