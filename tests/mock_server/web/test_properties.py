"""Claims over every input, through the WSGI app (no sockets, so Hypothesis stays fast)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract import MAGIC_BY_HASH, PATH, strategies
from mock_server import create_app

from ...helpers.answers import JSON_TYPE, check_body

CLIENT = create_app({"seed": 3}).test_client()


def _ask(params: dict[str, Any], method: str = "GET") -> dict[str, Any]:
    if method == "GET":
        response = CLIENT.get(PATH, query_string=params)
    else:
        response = CLIENT.post(PATH, data=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_TYPE
    body: dict[str, Any] = response.get_json()
    check_body(body)
    return body


@given(strategies.api_keys(), strategies.invalid_mobiles(), st.sampled_from(["GET", "POST"]))
def test_invalid_mobile_with_key_is_always_234802(key: str, mobile: str, method: str) -> None:
    body = _ask({"key": key, "mobile": mobile}, method)
    assert body["error_code"] == 234802
    assert body["reason"].startswith("参数错误:")


@given(strategies.mobile_hashes())
def test_any_valid_hash_gets_a_valid_answer(mobile: str) -> None:
    body = _ask({"key": "k", "mobile": mobile})
    magic = MAGIC_BY_HASH.get(mobile.lower())
    assert body["error_code"] == (magic.error_code if magic else 0)


@given(st.text(max_size=80), st.text(max_size=200))
def test_arbitrary_text_never_breaks_the_api(key: str, mobile: str) -> None:
    body = _ask({"key": key, "mobile": mobile})
    if not key:
        assert body["error_code"] == 10001
