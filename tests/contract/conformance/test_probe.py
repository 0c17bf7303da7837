"""contract.conformance.probe.judge: the verdict on one answer names the broken rule; no
network here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract import error_body, success_body
from contract.conformance.probe import WRONG_KEY, Answer, Probe, judge, standard_probes

JSON = "application/json;charset=utf-8"
SUCCESS = success_body("3", "J201901141703399055")


def answer(body: Any, status: int = 200, content_type: str = JSON) -> Answer:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        parsed, is_json = json.loads(content), True
    except ValueError:
        parsed, is_json = None, False
    return Answer(status, content_type, content, parsed, is_json)


CASES = [
    ("success", answer(SUCCESS), (0, 234803), None, []),
    ("no record", answer(error_body(234803)), (0, 234803), None, []),
    ("tenure pinned", answer(SUCCESS), (0,), ("4", "5"), ["[expected-tenure]"]),
    ("unexpected code", answer(error_body(234801)), (0, 234803), None, ["[expected-code]"]),
    ("unknown code", answer({"reason": "x", "result": None, "error_code": 234899}), (0,), None,
     ["[known-code]", "unknown to the catalogue"]),
    ("502 page", answer(b"<html>502</html>", 502, "text/html"), (0,), None,
     ["[http-status]", "[json]"]),
    ("500 with a body", answer(SUCCESS, 500), (0,), None, ["[http-status]"]),
    ("not json", answer(b'{"reason":', 200), (0,), None, ["[json]"]),
    ("no answer", Answer(None, problem="ConnectionError"), (0,), None, ["[no-answer]"]),
    ("code 6", answer({**SUCCESS, "result": {"code": "6", "orderid": "J201901141703399055"}}),
     (0,), None, ["result.code", "[enum]"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "given", "codes", "tenures", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_judge_names_the_broken_rule(
    what: str, given: Answer, codes: tuple[int, ...], tenures: Any, named: list[str]
) -> None:
    verdict = judge(given, codes=codes, tenures=tenures, strict=True)
    assert verdict.ok is (not named)
    text = "\n".join(verdict.problems)
    for rule in named:
        assert rule in text


def test_tolerant_judgement_warns_on_wording_only() -> None:
    drifted = {**error_body(10001), "reason": "错误的请求KEY!"}
    assert not judge(answer(drifted), codes=(10001,), strict=True).ok
    lenient = judge(answer(drifted), codes=(10001,), strict=False)
    assert lenient.ok and lenient.warnings


def test_summary_says_what_came_back() -> None:
    assert answer(SUCCESS).summary() == "0 code '3'"
    assert answer(b"<html/>", 502, "text/html; charset=utf-8").summary() == (
        "HTTP 502 text/html, not JSON"
    )
    assert Answer(None, problem="ReadTimeout").summary() == "no answer (ReadTimeout)"


def test_standard_probes_hold_no_key_and_free_ones_come_first() -> None:
    probes = standard_probes()
    assert all(isinstance(p, Probe) for p in probes)
    rank = {"no": 0, "reserves": 1, "yes": 2}
    billing = [rank[p.billing("the-key")] for p in probes]
    assert billing == sorted(billing)  # the probes without the key first, the billable last
    assert billing.count(2) == 1  # one random hash
    assert billing.count(1) == 6  # the keyed malformed mobiles: each reserves a unit
    assert [p.may_bill("the-key") for p in probes] == [b > 0 for b in billing]
    assert all("the-key" not in p.asked for p in probes)
    assert {p.key_for("the-key") for p in probes} == {None, "", "the-key", WRONG_KEY}
    assert not any(p.may_bill(None) for p in probes)
