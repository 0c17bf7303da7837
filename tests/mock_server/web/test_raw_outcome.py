"""The ``raw`` fault: the mock answers exactly the given status, content type and bytes.

Contract-drift tests need a server that breaks the contract on purpose (a code "6", a
missing orderid, an HTML 502); a raw answer is never billed, since the mock produced none.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256
from mock_server import ConfigError, MockServer

HASH = mobile_sha256(magic_number("3"))

RAW_CASES = [
    (
        {"fault": "raw", "json": {"reason": "成功", "result": {"code": "6"}, "error_code": 0}},
        200,
        "application/json;charset=utf-8",
        '{"reason":"成功","result":{"code":"6"},"error_code":0}'.encode(),
    ),
    (
        {"fault": "raw", "status": 502, "content_type": "text/html", "text": "<h1>bad</h1>"},
        502,
        "text/html",
        b"<h1>bad</h1>",
    ),
    ({"fault": "raw", "text": ""}, 200, "text/plain;charset=utf-8", b""),
    (
        {"fault": "raw", "json": [1, "二"]},
        200,
        "application/json;charset=utf-8",
        '[1,"二"]'.encode(),
    ),
]


@pytest.mark.parametrize(("outcome", "status", "content_type", "content"), RAW_CASES)
def test_raw_fault_answers_exactly_the_given_bytes(
    outcome: dict[str, Any], status: int, content_type: str, content: bytes
) -> None:
    with MockServer({"rules": [{"then": outcome}]}) as mock:
        response = requests.post(mock.url + PATH, data={"key": "k", "mobile": HASH}, timeout=5)
        assert response.status_code == status
        assert response.headers["Content-Type"] == content_type
        assert response.content == content
        assert mock.usage["billable"] == 0
        assert mock.requests[-1]["outcome"]["fault"] == "raw"


def test_raw_fault_keeps_key_order_of_the_document() -> None:
    body = {"error_code": 0, "result": None, "reason": "x"}
    with MockServer({"rules": [{"then": {"fault": "raw", "json": body}}]}) as mock:
        response = requests.get(mock.url + PATH, params={"key": "k", "mobile": HASH}, timeout=5)
        assert list(response.json()) == ["error_code", "result", "reason"]


BAD_RAW = [
    ({"fault": "raw"}, "$.rules[0].then.fault", "exactly one of json, text"),
    ({"fault": "raw", "json": {}, "text": "x"}, "$.rules[0].then.fault", "exactly one"),
    ({"fault": "malformed", "text": "x"}, "$.rules[0].then.text", "only a 'raw' fault"),
    ({"fault": "raw", "json": {}, "tenure": "3"}, "$.rules[0].then.fault", "replaces the answer"),
    ({"text": "x"}, "$.rules[0].then", "'fault' is a dependency of 'text'"),
]


@pytest.mark.parametrize(("outcome", "path", "why"), BAD_RAW)
def test_raw_fault_misuse_is_refused_naming_the_field(
    outcome: dict[str, Any], path: str, why: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        MockServer({"rules": [{"then": outcome}]})
    assert path in str(caught.value)
    assert why in caught.value.why
