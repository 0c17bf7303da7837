"""contract.validate: the broken-bodies table, both modes, and never raising."""

from __future__ import annotations

from typing import Any

import pytest

from contract import (
    ERROR_CODES,
    TENURE_CODES,
    Violation,
    error_body,
    success_body,
    validate,
    validate_report,
)

from ..helpers.paths import read_fixture

BROKEN: list[dict[str, Any]] = read_fixture("broken_bodies.json")
ORDERID = "J201901141703399055"


def test_broken_bodies_table_has_at_least_twenty_cases() -> None:
    assert len(BROKEN) >= 20
    assert len({case["description"] for case in BROKEN}) == len(BROKEN)


@pytest.mark.parametrize("case", BROKEN, ids=[c["description"] for c in BROKEN])
def test_broken_body_rejected_strictly_naming_the_field(case: dict[str, Any]) -> None:
    violations = validate(case["body"], strict=True)
    named = [(v.field, v.rule) for v in violations]
    assert (case["field"], case["rule"]) in named, named


@pytest.mark.parametrize("case", BROKEN, ids=[c["description"] for c in BROKEN])
def test_broken_body_in_tolerant_mode_rejected_or_warned(case: dict[str, Any]) -> None:
    report = validate_report(case["body"], strict=False)
    if case["strict_only"]:
        assert report.ok, report.violations
        assert case["field"] in [w.field for w in report.warnings]
    else:
        assert case["field"] in [v.field for v in report.violations]


@pytest.mark.parametrize("code", list(TENURE_CODES))
def test_success_body_of_every_tenure_code_valid(code: str) -> None:
    report = validate_report(success_body(code, ORDERID))
    assert report.violations == ()
    assert report.warnings == ()


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_body_of_every_error_code_valid(code: int) -> None:
    report = validate_report(error_body(code))
    assert report.violations == ()
    assert report.warnings == ()


@pytest.mark.parametrize("code", [c for c, e in ERROR_CODES.items() if e.takes_detail])
def test_detail_reason_accepted_strictly(code: int) -> None:
    assert validate(error_body(code, detail="mobile不能为空")) == []


def test_custom_reason_expected_exactly_when_given() -> None:
    body = error_body(234803, "查询无此记录")
    assert validate(body, reason="查询无此记录") == []
    assert [v.rule for v in validate(body, reason="别的")] == ["reason-text"]
    assert [v.rule for v in validate(body)] == ["reason-text"]


@pytest.mark.parametrize(
    ("code", "variant"), [(c, v) for c, e in ERROR_CODES.items() for v in e.variants]
)
def test_live_variant_reason_tolerated_with_warning(code: int, variant: str) -> None:
    body = {**error_body(code, variant), "request_id": "abc"}
    report = validate_report(body, strict=False)
    assert report.ok, report.violations
    assert {w.rule for w in report.warnings} == {"reason-variant", "unknown-key"}
    assert not validate_report(body, strict=True).ok


def test_unusual_wording_tolerated_with_warning() -> None:
    report = validate_report(error_body(10001, "Invalid key"), strict=False)
    assert report.ok
    assert [w.rule for w in report.warnings] == ["reason-wording"]


def test_live_detail_after_fullwidth_colon_tolerated_silently() -> None:
    report = validate_report(error_body(234802, "参数错误：姓名不合法"), strict=False)
    assert report.ok
    assert report.warnings == ()


def test_live_orderid_with_suffix_tolerated_with_warning() -> None:
    report = validate_report(success_body("3", ORDERID + "A348"), strict=False)
    assert report.ok
    assert [(w.field, w.rule) for w in report.warnings] == [("result.orderid", "orderid-format")]


def test_key_order_differing_from_wire_breaks_strict_warns_tolerant() -> None:
    body = {"error_code": 0, "result": {"orderid": ORDERID, "code": "3"}, "reason": "成功"}
    expected = [("$", "key-order"), ("result", "key-order")]
    assert [(v.field, v.rule) for v in validate(body, strict=True)] == expected
    report = validate_report(body, strict=False)
    assert report.ok
    assert [(w.field, w.rule) for w in report.warnings] == expected


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_body_keys_reordered_break_strict(code: int) -> None:
    body = dict(reversed(list(error_body(code).items())))
    assert [(v.field, v.rule) for v in validate(body)] == [("$", "key-order")]


def test_violation_str_names_field_and_rule() -> None:
    (violation,) = validate(error_body(10001) | {"resultcode": "102"})
    assert violation == Violation(violation.field, violation.rule, violation.message)
    assert str(violation).startswith("resultcode: ")
    assert str(violation).endswith("[resultcode-match]")


class _Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    "body",
    [
        float("nan"),
        {1: 2},
        {"error_code": 10**40},
        {"error_code": _Unprintable()},
        {"reason": "成功", "result": {"code": "3", "orderid": _Unprintable()}, "error_code": 0},
        {"reason": {"nested": [1, {}]}, "result": [], "error_code": 0},
        set(),
    ],
    ids=["nan", "int-key", "huge-code", "unprintable-code", "unprintable-orderid", "nested", "set"],
)
def test_odd_input_gives_violations_never_raises(body: object) -> None:
    assert validate(body) != []
    assert not validate_report(body, strict=False).ok


# Bodies a live host plausibly sends (docs/wire.md), with both verdicts: tolerant mode flags
# breakage, not wording or harmless shape. Rows with a status or content type are the
# probe's to judge (tests/contract/conformance/test_live_bodies.py sends every row through
# a stand-in).
LIVE: list[dict[str, Any]] = read_fixture("live_bodies.json")
LIVE_KEY = "0123456789abcdef0123456789abcdef"
BODY_ONLY = [row for row in LIVE if "status" not in row and "content_type" not in row]


def _with_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("{key}", LIVE_KEY)
    if isinstance(value, dict):
        return {k: _with_key(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_key(v) for v in value]
    return value


def test_live_bodies_table_covers_both_verdicts() -> None:
    assert len(LIVE) >= 40
    assert len({row["description"] for row in LIVE}) == len(LIVE)
    tolerant = {row["tolerant"] for row in LIVE}
    assert tolerant == {"ok", "warning", "violation"}


@pytest.mark.parametrize("mode", ["strict", "tolerant"])
@pytest.mark.parametrize("row", BODY_ONLY, ids=[r["description"] for r in BODY_ONLY])
def test_live_body_verdict(row: dict[str, Any], mode: str) -> None:
    report = validate_report(_with_key(row["body"]), strict=mode == "strict", key=LIVE_KEY)
    verdict = row[mode]
    found = [(v.field, v.rule) for v in report.violations]
    warned = [(w.field, w.rule) for w in report.warnings]
    if verdict == "ok":
        assert report.ok and not warned, (found, warned)
    elif verdict == "warning":
        assert report.ok, found
        assert (row["field"], row["rule"]) in warned, warned
    else:
        assert not report.ok
        if mode == "tolerant":  # strict mode may name the reason's rule another way
            assert (row["field"], row["rule"]) in found, found
    text = "\n".join(v.message for v in (*report.violations, *report.warnings))
    assert LIVE_KEY not in text  # an echoed key is named, never repeated


def test_an_echoed_key_is_a_security_warning_and_never_repeated() -> None:
    body = {"error_code": 10001, "reason": f"无效的key！{LIVE_KEY}", "result": LIVE_KEY}
    tolerant = validate_report(body, strict=False, key=LIVE_KEY)
    assert tolerant.ok
    assert {("result", "key-echo"), ("reason", "key-echo")} <= {
        (w.field, w.rule) for w in tolerant.warnings
    }
    strict = validate_report(body, strict=True, key=LIVE_KEY)
    assert ("result", "key-echo") in [(v.field, v.rule) for v in strict.violations]
    for finding in (*tolerant.warnings, *strict.violations):
        assert LIVE_KEY not in str(finding)
    assert validate_report(body, strict=False).warnings  # without the key: no echo finding
    assert "key-echo" not in {w.rule for w in validate_report(body, strict=False).warnings}
