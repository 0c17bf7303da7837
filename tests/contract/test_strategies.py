"""contract.strategies: every valid body validates strictly, every mutated body is rejected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings

from contract import (
    CUCC_PREFIXES,
    ERROR_CODES,
    TENURE_CODES,
    ErrorKind,
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


def _find(strategy: Any, condition: Callable[[Any], bool]) -> Any:
    """An example of ``strategy`` meeting ``condition``; fails if the strategy never makes one."""
    # Generate only: the first example found is proof enough, and shrinking it costs seconds.
    quick = settings(max_examples=2000, database=None, phases=[Phase.generate])
    return find(strategy, condition, settings=quick)


def _bare(spelled: str) -> str:
    return spelled.strip(" \t")


# Every spelling the issue names (+86, 86, spaces, dashes) and the others people write.
SPELLINGS: dict[str, Callable[[str], bool]] = {
    "bare 11 digits": lambda s: s.isdigit() and len(s) == 11,
    "+86": lambda s: _bare(s).startswith("+86"),
    "86 without +": lambda s: _bare(s).startswith("86"),
    "0086": lambda s: _bare(s).startswith("0086"),
    "(+86)": lambda s: _bare(s).startswith("(+86)"),
    "spaces between groups": lambda s: " " in _bare(s) and "86" not in _bare(s)[:4],
    "dashes between groups": lambda s: "-" in _bare(s) and "86" not in _bare(s)[:4],
    "surrounding whitespace": lambda s: s != s.strip() and s.strip().isdigit(),
}


@pytest.mark.parametrize("kind", list(SPELLINGS))
def test_spelled_numbers_include_every_spelling(kind: str) -> None:
    bare, spelled = _find(cs.spelled_numbers(), lambda pair: SPELLINGS[kind](pair[1]))
    assert normalize_mobile(spelled) == bare


_HEX = set("0123456789abcdefABCDEF")

# Every invalid ``mobile`` the issue names: wrong length, non-hex, plaintext numbers,
# unicode, empty, whitespace.
INVALID_MOBILES: dict[str, Callable[[str], bool]] = {
    "hex of the wrong length": lambda v: bool(v) and set(v) <= _HEX and len(v) != 64,
    "64 characters, one not hex": lambda v: len(v) == 64 and v.isascii() and not set(v) <= _HEX,
    "plaintext number": lambda v: v.isdigit() and len(v) == 11,
    "spelled plaintext number": lambda v: not v.isdigit() and _spells_a_number(v),
    "non-ASCII": lambda v: not v.isascii() and bool(v.strip()),
    "full-width hex": lambda v: len(v) == 64 and all("\uff10" <= c <= "\uff46" for c in v),
    "empty": lambda v: v == "",
    "whitespace only": lambda v: bool(v) and not v.strip(),
}


def _spells_a_number(value: str) -> bool:
    try:
        normalize_mobile(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("kind", list(INVALID_MOBILES))
def test_invalid_mobiles_include_every_kind(kind: str) -> None:
    value = _find(cs.invalid_mobiles(), INVALID_MOBILES[kind])
    assert not is_mobile_sha256(value)


def _codes_of(kind: ErrorKind) -> set[object]:
    return {code for code, entry in ERROR_CODES.items() if entry.kind is kind}


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (cs.success_bodies, set(TENURE_CODES)),
        (cs.system_error_bodies, _codes_of(ErrorKind.SYSTEM)),
        (cs.service_error_bodies, _codes_of(ErrorKind.SERVICE)),
    ],
    ids=["success", "system-error", "service-error"],
)
def test_body_strategies_reach_every_code_of_their_kind(
    strategy: Callable[[], Any], expected: set[object]
) -> None:
    codes: set[object] = set()

    @given(strategy())
    @settings(max_examples=300, database=None, derandomize=True)
    def collect(body: dict[str, Any]) -> None:
        codes.add(body["result"]["code"] if body["error_code"] == 0 else body["error_code"])

    collect()
    assert codes == expected


@given(cs.invalid_mobiles())
def test_every_invalid_mobile_can_be_sent(value: str) -> None:
    """A request can carry it: it has a UTF-8 form (no lone surrogate)."""
    assert value.encode("utf-8").decode("utf-8") == value
