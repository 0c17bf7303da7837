"""The client against a stand-in that plays live (tests/helpers/standin.py): it never throws away
a billed answer over harmless drift, keeps an echoed key out of everything it makes, does
not retry what may have been billed unless asked, and talks HTTPS by default."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from client import HTTPStatusError, InvalidKeyError, InvalidResponseError, TenureClient
from contract import BASE_URL, mobile_sha256

from ..helpers.standin import ODD_KEY, StandIn, spellings

DIGEST = mobile_sha256("13000000003")
ORDERID = "J201901141703399055"


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with StandIn(key=ODD_KEY) as server:
        yield server


def _success(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "成功", "result": {"code": "4", "orderid": ORDERID},
                            "error_code": 0}  # fmt: skip
    body.update(changes)
    return body


# Billed answers that drift harmlessly: each must come back as a result, with its warning.
DRIFTED = [
    ("resultcode-200", {"resultcode": "200", "reason": "Return Successd!",
                        "result": {"code": "4", "orderid": ORDERID}, "error_code": 0},
     ("resultcode", "resultcode-absent"), ORDERID),
    ("orderid-jh", _success(result={"code": "4", "orderid": "JH8182608291315056S5wX"}),
     ("result.orderid", "orderid-format"), "JH8182608291315056S5wX"),
    ("orderid-missing", _success(result={"code": "4"}), ("result.orderid", "required"), ""),
    ("orderid-an-integer", _success(result={"code": "4", "orderid": 201901141703399055}),
     ("result.orderid", "type"), "201901141703399055"),
    ("trailing-space", _success(reason="成功 "), ("reason", "reason-wording"), ORDERID),
    ("extra-key", {**_success(), "request_id": "4f1c"}, ("request_id", "unknown-key"), ORDERID),
]  # fmt: skip


@pytest.mark.parametrize(("body", "finding", "orderid"), [d[1:] for d in DRIFTED],
                         ids=[d[0] for d in DRIFTED])  # fmt: skip
def test_a_billed_answer_with_harmless_drift_is_kept_with_its_warnings(
    stand_in: StandIn,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    finding: tuple[str, str],
    orderid: str,
) -> None:
    stand_in.body = body
    with caplog.at_level(logging.WARNING, logger="client"), TenureClient(
        ODD_KEY, base_url=stand_in.url
    ) as api:  # fmt: skip
        results = [api.query_hash(DIGEST) for _ in range(3)]
    assert stand_in.billed == 3
    for result in results:
        assert result.code.value == "4" and result.orderid == orderid
        assert finding in [(w.field, w.rule) for w in result.warnings]
    logged = [r for r in caplog.records if "drifts from the contract" in r.getMessage()]
    assert len(logged) == 1  # once per kind of finding, not once per answer


def test_a_success_without_a_valid_code_is_still_refused(stand_in: StandIn) -> None:
    stand_in.body = _success(result={"code": "6", "orderid": ORDERID})
    with TenureClient(ODD_KEY, base_url=stand_in.url) as api, pytest.raises(
        InvalidResponseError
    ) as info:  # fmt: skip
        api.query_hash(DIGEST)
    assert ("result.code", "enum") in [(v.field, v.rule) for v in info.value.violations]


def test_an_echoed_key_is_in_no_message_repr_body_or_log(
    stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.refuse_key = True  # 10001 with the key in result and in reason
    with caplog.at_level(logging.DEBUG), TenureClient(ODD_KEY, base_url=stand_in.url) as api:
        with pytest.raises(InvalidKeyError) as info:
            api.query_hash(DIGEST)
        shown = [str(info.value), repr(info.value), info.value.reason, str(info.value.body),
                 *map(str, info.value.violations), repr(api), caplog.text]  # fmt: skip
    assert info.value.body is not None and info.value.body["result"] == "<key>"
    for text in shown:
        for spelling in spellings(ODD_KEY):
            assert spelling not in text


def test_a_gateway_5xx_after_sending_is_not_retried_by_default(stand_in: StandIn) -> None:
    stand_in.status = 502  # the stand-in bills the call, then a gateway loses the answer
    stand_in.body = _success()
    with TenureClient(ODD_KEY, base_url=stand_in.url, sleep=lambda _: None) as api, pytest.raises(
        HTTPStatusError
    ):  # fmt: skip
        api.query_hash(DIGEST)
    assert (len(stand_in.calls), stand_in.billed) == (1, 1)
    with TenureClient(
        ODD_KEY, base_url=stand_in.url, sleep=lambda _: None, retry_unsafe=True
    ) as api, pytest.raises(HTTPStatusError):  # fmt: skip
        api.query_hash(DIGEST)
    assert (len(stand_in.calls), stand_in.billed) == (4, 4)  # opted in: it may bill again


def test_https_by_default_and_a_warning_for_plain_http_to_another_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert BASE_URL == "https://apis.juhe.cn"
    elsewhere = f"http://{uuid.uuid4().hex}.example"  # never asked: no query is made
    with caplog.at_level(logging.WARNING, logger="client"):
        assert TenureClient("k").base_url == "https://apis.juhe.cn"
        TenureClient("k", base_url="http://127.0.0.1:8080").close()
        TenureClient("k", base_url="https://example.test").close()
        assert not caplog.records
        TenureClient("k", base_url=elsewhere).close()
        TenureClient("k", base_url=elsewhere).close()
    (warning,) = caplog.records
    assert "over plain http://, in clear text" in warning.getMessage()
