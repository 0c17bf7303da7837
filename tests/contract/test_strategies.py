"""contract.strategies: every valid body validates strictly, every mutated body is rejected."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from contract import (
    CUCC_PREFIXES,
    is_mobile_sha256,
    mobile_sha256,
    normalize_mobile,
    schemas,
    validate,
    validate_report,
)
from contract import strategies as cs


@given(cs.response_bodies())
def test_every_strategy_body_validates_strictly(body: dict[str, Any]) -> None:
    report = validate_report(body, strict=True)
    assert report.violations == ()
    assert report.warnings == ()


@given(cs.mutated_bodies())
def test_every_mutated_body_rejected_strictly(mutated: cs.MutatedBody) -> None:
    assert validate(mutated.original) == []
    assert validate(mutated.body, strict=True) != [], mutated.mutation


@given(cs.success_bodies(), cs.live_orderids())
def test_live_orderid_tolerated_with_warning(body: dict[str, Any], orderid: str) -> None:
    body["result"]["orderid"] = orderid
    report = validate_report(body, strict=False)
    assert report.ok, report.violations
    assert [w.rule for w in report.warnings] == ["orderid-format"]
    assert not validate_report(body, strict=True).ok


@given(cs.spelled_numbers())
def test_every_spelling_normalises_to_the_bare_number(pair: tuple[str, str]) -> None:
    bare, spelled = pair
    assert bare[:3] in CUCC_PREFIXES
    assert normalize_mobile(spelled) == bare
    assert mobile_sha256(spelled) == mobile_sha256(bare)


@given(cs.mobile_hashes())
def test_mobile_hashes_are_lowercase_sha256(value: str) -> None:
    assert is_mobile_sha256(value)
    assert value == value.lower()


@given(cs.sha256_hex())
def test_sha256_hex_is_well_formed(value: str) -> None:
    assert is_mobile_sha256(value)


@given(cs.invalid_mobiles())
def test_invalid_mobiles_are_never_well_formed(value: str) -> None:
    assert not is_mobile_sha256(value)


@given(cs.api_keys())
def test_api_keys_are_32_lowercase_hex(key: str) -> None:
    assert len(key) == 32
    assert set(key) <= set("0123456789abcdef")


def test_every_mutation_is_reachable() -> None:
    seen: set[str] = set()

    @given(cs.mutated_bodies())
    def collect(mutated: cs.MutatedBody) -> None:
        seen.add(mutated.mutation)

    settings(max_examples=400, database=None, derandomize=True)(collect)()
    assert seen == set(cs.MUTATIONS)


@given(cs.mutated_bodies())
def test_strict_validate_never_accepts_what_the_schema_refuses(mutated: cs.MutatedBody) -> None:
    response = schemas.validator("response")
    for body in (mutated.original, mutated.body):
        if validate(body) == []:
            assert response.is_valid(body)
        if not response.is_valid(body):
            assert validate(body) != []
