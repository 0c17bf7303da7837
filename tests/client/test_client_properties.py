"""Claims over every input: hashing, and what the client makes of any answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from client import JuheError, Tenure, TenureClient, TenureResult, TransportError, hash_mobile
from client.wire import parse_body, parse_response
from contract import strategies as cs
from contract import success_body, validate

from .conftest import KEY, ScriptedAdapter

DIGEST = "ab" * 32


@given(cs.spelled_numbers())
def test_every_spelling_of_a_number_hashes_the_same(pair: tuple[str, str]) -> None:
    bare, spelled = pair
    expected = hashlib.sha256(bare.encode("ascii")).hexdigest()
    assert hash_mobile(spelled) == hash_mobile(bare) == expected


@given(cs.spelled_numbers())
def test_query_sends_the_same_hash_for_every_spelling(pair: tuple[str, str]) -> None:
    bare, spelled = pair
    sent = _send(spelled)
    assert sent is not None
    assert sent == {"key": [KEY], "mobile": [hash_mobile(bare)]}


@given(st.text(max_size=30))
def test_query_never_sends_plaintext_only_a_hash_or_nothing(text: str) -> None:
    try:
        expected = hash_mobile(text)
    except ValueError:
        expected = None
    sent = _send(text)
    if expected is None:
        assert sent is None  # refused with ValueError before any request
    else:
        assert sent == {"key": [KEY], "mobile": [expected]}


@given(cs.invalid_mobiles())
def test_query_hash_refuses_invalid_mobile_before_any_request(value: str) -> None:
    adapter = ScriptedAdapter()
    with _client(adapter) as api, pytest.raises(ValueError):
        api.query_hash(value)
    assert adapter.sent == []


@given(cs.response_bodies())
def test_every_valid_body_parses_or_raises_its_juhe_error(body: dict[str, Any]) -> None:
    content = json.dumps(body, ensure_ascii=False).encode("utf-8")
    try:
        result = parse_response(200, content, DIGEST)
    except JuheError as exc:
        assert not isinstance(exc, TransportError)
        assert exc.error_code == body["error_code"] != 0
        assert exc.reason == body["reason"]
        assert exc.body == body
        assert exc.violations == ()
    else:
        assert body["error_code"] == 0
        assert result.code is Tenure(body["result"]["code"])
        assert result.orderid == body["result"]["orderid"]


@given(cs.response_bodies())
def test_every_valid_body_through_the_client_gives_result_or_juhe_error(
    body: dict[str, Any],
) -> None:
    adapter = ScriptedAdapter(body, body, body)  # 234801 is retried
    with _client(adapter) as api:
        try:
            outcome: TenureResult | JuheError = api.query_hash(DIGEST)
        except JuheError as exc:
            outcome = exc
    assert not isinstance(outcome, TransportError)
    if isinstance(outcome, TenureResult):
        assert outcome.body == body
    else:
        assert outcome.error_code == body["error_code"]


@given(cs.mutated_bodies())
def test_any_broken_body_gives_result_or_juhe_error_never_another_exception(
    mutated: Any,
) -> None:
    try:
        result = parse_body(mutated.body, DIGEST)
    except JuheError as exc:
        # An error answer keeps its code even when broken elsewhere; the rest is transport.
        assert isinstance(exc, TransportError) or exc.error_code == mutated.body["error_code"]
    else:
        # A billed answer (a success with a valid tenure code) is kept whatever else
        # drifted; what the tolerant check found is on its warnings.
        assert type(mutated.body["error_code"]) is int and mutated.body["error_code"] == 0
        assert result.code.value == mutated.body["result"]["code"]
        assert set(validate(mutated.body, strict=False)) <= set(result.warnings)


@given(st.binary(max_size=200), st.integers(100, 599))
def test_any_bytes_and_status_give_result_or_juhe_error(content: bytes, status: int) -> None:
    try:
        parse_response(status, content, DIGEST)
    except JuheError as exc:
        assert exc.error_code is None or isinstance(exc.error_code, int)


def test_success_body_from_contract_parses_to_the_same_code() -> None:
    body = success_body("99", "J201901141703399055")
    assert parse_body(body, DIGEST).code is Tenure("99")


@contextmanager
def _client(adapter: ScriptedAdapter) -> Iterator[TenureClient]:
    with requests.Session() as session:
        session.mount("http://", adapter)
        with TenureClient(
            KEY, base_url="http://juhe.test", session=session, sleep=lambda _: None
        ) as api:
            yield api


def _send(phone: str) -> dict[str, list[str]] | None:
    """The form the client sends for ``phone``; ``None`` if it refused before sending."""
    adapter = ScriptedAdapter(success_body("1", "J201901141703399055"))
    with _client(adapter) as api:
        try:
            api.query(phone)
        except ValueError:
            assert adapter.sent == []
            return None
    [sent] = adapter.sent
    return sent.form
