"""The odd bodies a live host sends (fixtures/live_bodies.json), served by the stand-in and
judged the way ``juhe-contract`` and the contract suite judge a live answer: tolerant mode
flags breakage (a missing or non-integer ``error_code``, an unknown code, a success without
a usable ``result``, HTTP status, content type), never wording or harmless shape."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contract.conformance.budget import Budget
from contract.conformance.probe import judge, send

from ...helpers.paths import read_fixture
from ...helpers.standin import StandIn

ROWS: list[dict[str, Any]] = read_fixture("live_bodies.json")


@pytest.fixture(scope="module")
def server() -> Any:
    with StandIn() as stand_in:
        yield stand_in


def _codes(body: Any) -> tuple[int, ...]:
    code = body.get("error_code") if isinstance(body, dict) else None
    return (code,) if type(code) is int else (0,)


@pytest.mark.parametrize("row", ROWS, ids=[r["description"] for r in ROWS])
def test_a_live_body_through_the_stand_in_gets_its_tolerant_verdict(
    server: StandIn, row: dict[str, Any]
) -> None:
    server.body = row["body"]
    server.status = row.get("status", 200)
    server.content_type = row.get("content_type", "application/json;charset=utf-8")
    with requests.Session() as session:
        answer = send(session, server.url, key=server.key, mobile="d" * 64,
                      budget=Budget(1, key=server.key))  # fmt: skip
    verdict = judge(answer, codes=_codes(row["body"]), strict=False, key=server.key)
    expected = row["tolerant"]
    assert verdict.ok is (expected != "violation"), verdict
    named = f"[{row['rule']}]" if "rule" in row else None
    if expected == "warning":
        assert any(w.startswith(f"{row['field']}:") and w.endswith(named) for w in verdict.warnings)
    if expected == "violation":
        assert any(p.startswith(f"{row['field']}:") and p.endswith(named) for p in verdict.problems)
    for text in (*verdict.problems, *verdict.warnings):
        assert server.key not in text
