"""TenureClient against a scripted transport: what it sends, what it returns, what it raises."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import urllib3

import client
import client.retry
import contract
from client import (
    ConnectError,
    HTTPStatusError,
    InvalidResponseError,
    JuheError,
    ProviderFailureError,
    QuotaError,
    RequestTimeout,
    Tenure,
    TenureClient,
    TransportError,
    hash_mobile,
    key_fingerprint,
)
from contract import ERROR_CODES, PATH, TENURE_CODES, error_body, mobile_sha256, success_body

from .conftest import BASE_URL, KEY, Sleeps

ORDERID = "J201901141703399055"
PHONE = "13000000003"
DIGEST = mobile_sha256(PHONE)
FAULT_234801 = error_body(234801)


@pytest.fixture(autouse=True)
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pin the jitter so the waits are exact: 0.5 s, then 1.0 s, ...
    monkeypatch.setattr(client.retry, "add_jitter", lambda seconds: seconds)


@pytest.mark.parametrize(
    "spelling",
    ["13000000003", "+86 130-0000-0003", "8613000000003", " 13000000003 ", "0086 130 0000 0003"],
)
def test_query_sends_only_the_hash_of_the_normalised_number(
    make_client: Any, spelling: str
) -> None:
    api, adapter = make_client(success_body("3", ORDERID))
    api.query(spelling)
    [sent] = adapter.sent
    assert sent.form == {"key": [KEY], "mobile": [DIGEST]}
    assert "13000000003" not in sent.body + sent.url
    assert "0000" not in sent.url


def test_query_posts_form_body_and_keeps_key_out_of_url(make_client: Any) -> None:
    api, adapter = make_client(success_body("3", ORDERID))
    api.query(PHONE)
    [sent] = adapter.sent
    assert sent.method == "POST"
    assert sent.url == BASE_URL + PATH
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert KEY not in sent.url


def test_query_result_carries_code_months_and_orderid(make_client: Any) -> None:
    body = success_body("3", ORDERID)
    api, _ = make_client(body)
    result = api.query(PHONE)
    assert result.code is Tenure("3")
    assert (result.months_above, result.months_up_to) == (6, 12)
    assert result.orderid == ORDERID
    assert result.mobile_sha256 == DIGEST
    assert result.reason == "成功"
    assert result.body == body


@pytest.mark.parametrize(
    "phone",
    ["", "1300000000", "130000000031", "23000000003", "12000000003", "+1 650 555 0100", "abc"],
)
def test_query_invalid_number_raises_value_error_before_any_request(
    make_client: Any, phone: str
) -> None:
    api, adapter = make_client()
    with pytest.raises(ValueError) as info:
        api.query(phone)
    assert adapter.sent == []
    if phone:
        assert phone not in str(info.value)


@pytest.mark.parametrize("value", ["", "ab" * 31, "zz" * 32, DIGEST + "0", PHONE])
def test_query_hash_invalid_digest_raises_value_error_before_any_request(
    make_client: Any, value: str
) -> None:
    api, adapter = make_client()
    with pytest.raises(ValueError):
        api.query_hash(value)
    assert adapter.sent == []


def test_query_hash_sends_the_digest_lowercased(make_client: Any) -> None:
    api, adapter = make_client(success_body("1", ORDERID))
    assert api.query_hash(DIGEST.upper()).mobile_sha256 == DIGEST
    assert adapter.sent[0].form["mobile"] == [DIGEST]


def test_hash_mobile_is_the_contract_hash() -> None:
    assert hash_mobile("+86 130-0000-0003") == DIGEST == mobile_sha256(PHONE)


def test_every_request_has_a_timeout_on_one_session(make_client: Any) -> None:
    api, adapter = make_client(
        success_body("1", ORDERID), success_body("2", ORDERID), timeout=(1.5, 4.0)
    )
    api.query(PHONE)
    api.query_hash(DIGEST)
    assert [sent.timeout for sent in adapter.sent] == [(1.5, 4.0), (1.5, 4.0)]


def test_default_timeout_is_set() -> None:
    with TenureClient(KEY) as api:
        assert api.timeout is not None


def test_client_makes_one_session_and_closes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(requests.Session, "close", lambda self: closed.append(True))
    with TenureClient(KEY) as api:
        assert isinstance(api._session, requests.Session)
    assert closed == [True]


def test_client_leaves_a_given_session_open(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    session = requests.Session()
    monkeypatch.setattr(session, "close", lambda: closed.append(True))
    with TenureClient(KEY, session=session) as api:
        assert api._session is session
    assert closed == []


def test_client_configuration_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        TenureClient(KEY, BASE_URL)  # type: ignore[call-arg]


@pytest.mark.parametrize("base_url", ["apis.juhe.cn", "ftp://apis.juhe.cn", ""])
def test_client_refuses_base_url_without_http_scheme(base_url: str) -> None:
    with pytest.raises(ValueError):
        TenureClient(KEY, base_url=base_url)


@pytest.mark.parametrize("key", ["", None, 123])
def test_client_refuses_missing_key(key: Any) -> None:
    with pytest.raises(ValueError):
        TenureClient(key)


def test_repr_hides_the_key() -> None:
    with TenureClient(KEY) as api:
        text = repr(api)
    assert KEY not in text
    assert api.key_fingerprint in text
    # The same 8 hex digits the mock's journal shows (contract.key_fingerprint).
    assert f"key=<{key_fingerprint(KEY)}>)" in text
    assert re.fullmatch("[0-9a-f]{8}", api.key_fingerprint)


def test_key_fingerprint_is_the_contract_one() -> None:
    # One fingerprint for the whole project: client.key_fingerprint stays a public name.
    assert key_fingerprint is contract.key_fingerprint


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_answer_raises_its_family_class(make_client: Any, code: int) -> None:
    body = error_body(code)
    api, adapter = make_client(body, body, body)
    with pytest.raises(JuheError) as info:
        api.query(PHONE)
    assert type(info.value) is client.ERROR_CLASSES[code]
    assert info.value.error_code == code
    assert info.value.reason == body["reason"]
    assert info.value.body == body
    assert info.value.violations == ()
    assert len(adapter.sent) == (3 if code == 234801 else 1)


@pytest.mark.parametrize("code", list(TENURE_CODES))
def test_success_answer_parses_every_tenure_code(make_client: Any, code: str) -> None:
    api, _ = make_client(success_body(code, ORDERID))
    assert api.query(PHONE).code.value == code


def test_unknown_error_code_raises_base_juhe_error(make_client: Any) -> None:
    api, _ = make_client({"reason": "新错误", "result": None, "error_code": 234899})
    with pytest.raises(JuheError) as info:
        api.query(PHONE)
    assert type(info.value) is JuheError
    assert info.value.error_code == 234899


def test_error_answer_with_drifted_wording_keeps_its_class(make_client: Any) -> None:
    body = error_body(10012, "超过每日可允许请求次数!")
    api, _ = make_client(body)
    with pytest.raises(QuotaError) as info:
        api.query(PHONE)
    assert info.value.reason == "超过每日可允许请求次数!"


def test_retry_234801_twice_then_success_returns_one_result(
    make_client: Any, sleeps: Sleeps
) -> None:
    api, adapter = make_client(FAULT_234801, FAULT_234801, success_body("4", ORDERID))
    assert api.query(PHONE).code is Tenure("4")
    assert len(adapter.sent) == 3
    assert sleeps.waits == [0.5, 1.0]


def test_retry_234801_gives_up_after_max_retries(make_client: Any, sleeps: Sleeps) -> None:
    api, adapter = make_client(FAULT_234801, FAULT_234801, max_retries=1)
    with pytest.raises(ProviderFailureError):
        api.query(PHONE)
    assert len(adapter.sent) == 2
    assert sleeps.waits == [0.5]


def test_retry_stops_at_total_time_cap(make_client: Any, sleeps: Sleeps) -> None:
    # Waits 0.5, 1.0, 2.0: the third would end at 3.5 s, past the 2 s cap.
    api, adapter = make_client(
        FAULT_234801, FAULT_234801, FAULT_234801, max_retries=5, max_retry_time=2.0
    )
    with pytest.raises(ProviderFailureError):
        api.query(PHONE)
    assert len(adapter.sent) == 3
    assert sleeps.waits == [0.5, 1.0]


@pytest.mark.parametrize("code", [10012, 10013, 10001, 10011, 234803, 234804, 10014, 10020])
def test_no_retry_for_errors_a_retry_cannot_fix(
    make_client: Any, sleeps: Sleeps, code: int
) -> None:
    api, adapter = make_client(error_body(code), success_body("1", ORDERID))
    with pytest.raises(JuheError):
        api.query(PHONE)
    assert len(adapter.sent) == 1
    assert sleeps.waits == []


def _refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: nothing was sent."""
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def _cut() -> requests.ConnectionError:
    """What requests raises when the server hangs up after the request went out."""
    gone = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104))
    return requests.ConnectionError(gone)


# Faults before the request left: retried by default, nothing can have been billed.
NEVER_SENT = [
    (_refused(), ConnectError),
    (requests.ConnectTimeout("connect timeout"), RequestTimeout),
]
# Faults after it was sent: it may have been billed, so a retry is opt-in (retry_unsafe).
MAYBE_BILLED = [
    (requests.ReadTimeout("read timeout"), RequestTimeout),
    ((502, b"<html>bad gateway</html>"), HTTPStatusError),
    ((503, b""), HTTPStatusError),
    (_cut(), ConnectError),
    (requests.ConnectionError("no cause given"), ConnectError),  # unknown: may have been sent
]


@pytest.mark.parametrize(("fault", "cls"), NEVER_SENT, ids=["refused", "connect-timeout"])
def test_transport_fault_before_sending_is_retried(
    make_client: Any, fault: Any, cls: type[TransportError]
) -> None:
    api, adapter = make_client(fault, success_body("2", ORDERID))
    assert api.query(PHONE).code is Tenure("2")
    assert len(adapter.sent) == 2
    api2, adapter2 = make_client(fault, fault, fault)
    with pytest.raises(cls) as info:
        api2.query(PHONE)
    assert len(adapter2.sent) == 3
    assert info.value.error_code is None
    assert info.value.sent is False


@pytest.mark.parametrize(
    ("fault", "cls"), MAYBE_BILLED, ids=["read-timeout", "502", "503", "cut", "unknown"]
)
def test_transport_fault_after_sending_is_not_retried_by_default(
    make_client: Any, fault: Any, cls: type[TransportError]
) -> None:
    api, adapter = make_client(fault, success_body("2", ORDERID))
    with pytest.raises(cls) as info:
        api.query(PHONE)
    assert len(adapter.sent) == 1  # one call: a second might bill twice
    assert info.value.sent is True and not info.value.retryable


@pytest.mark.parametrize(
    ("fault", "cls"), MAYBE_BILLED, ids=["read-timeout", "502", "503", "cut", "unknown"]
)
def test_transport_fault_after_sending_is_retried_when_the_caller_opts_in(
    make_client: Any, fault: Any, cls: type[TransportError]
) -> None:
    api, adapter = make_client(fault, success_body("2", ORDERID), retry_unsafe=True)
    assert api.query(PHONE).code is Tenure("2")
    assert len(adapter.sent) == 2
    api2, adapter2 = make_client(fault, fault, fault, retry_unsafe=True)
    with pytest.raises(cls) as info:
        api2.query(PHONE)
    assert len(adapter2.sent) == 3
    assert info.value.error_code is None


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        ((200, b"not json"), InvalidResponseError),
        ((200, b"\xff\xfe\x00"), InvalidResponseError),
        ((200, b'["a list"]'), InvalidResponseError),
        ((404, b"not found"), HTTPStatusError),
        ({"reason": "成功", "result": {"code": "7", "orderid": ORDERID}, "error_code": 0},
         InvalidResponseError),
        ({"reason": "成功", "result": None, "error_code": 0}, InvalidResponseError),
        ({"reason": "成功", "result": {"code": 3, "orderid": ORDERID}, "error_code": 0},
         InvalidResponseError),
        ({"error_code": "0"}, InvalidResponseError),
    ],
    ids=["text", "bad-utf8", "list", "404", "code-7", "no-result", "int-code", "str-error-code"],
)  # fmt: skip
def test_garbled_answer_raises_transport_error_and_is_not_retried(
    make_client: Any, answer: Any, cls: type[TransportError]
) -> None:
    api, adapter = make_client(answer, success_body("1", ORDERID))
    with pytest.raises(cls) as info:
        api.query(PHONE)
    assert len(adapter.sent) == 1
    assert info.value.answered


def test_contract_breaking_success_attaches_violations(make_client: Any) -> None:
    body = {"reason": "成功", "result": {"code": "7", "orderid": ORDERID}, "error_code": 0}
    api, _ = make_client(body)
    with pytest.raises(InvalidResponseError) as info:
        api.query(PHONE)
    assert info.value.violations
    assert any(v.field.startswith("result") for v in info.value.violations)
    assert info.value.body == body
    assert info.value.violations[0].field in str(info.value)


def test_key_never_in_messages_reprs_or_logs(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"reason": f"参数错误:key {KEY} 不合法", "result": None, "error_code": 234802}
    refused = requests.ConnectionError(f"cannot reach {BASE_URL}{PATH}?key={KEY}")
    captured: list[str] = []
    with caplog.at_level(logging.DEBUG):
        api, _ = make_client(
            FAULT_234801, success_body("1", ORDERID), echo, refused, refused, refused
        )
        captured.append(repr(api))
        captured.append(repr(api.query(PHONE)))
        for _ in range(2):
            with pytest.raises(JuheError) as info:
                api.query(PHONE)
            captured += [str(info.value), repr(info.value), info.value.reason]
            # Nothing unscrubbed hangs off the exception for a traceback to print.
            assert info.value.__cause__ is None
            assert info.value.__context__ is None or info.value.__suppress_context__
    captured += [record.getMessage() for record in caplog.records]
    assert any("retry" in text for text in captured)  # the logs were captured
    assert sum("<key>" in text for text in captured) >= 2  # both echoes were scrubbed
    for text in captured:
        assert KEY not in text
        assert PHONE not in text


def test_unplaced_request_exception_is_a_transport_error_not_retried(make_client: Any) -> None:
    api, adapter = make_client(requests.TooManyRedirects("loop"), success_body("1", ORDERID))
    with pytest.raises(TransportError) as info:
        api.query(PHONE)
    assert type(info.value) is TransportError
    assert len(adapter.sent) == 1


def test_retry_logged_with_key_fingerprint(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api, _ = make_client(FAULT_234801, success_body("1", ORDERID))
    with caplog.at_level(logging.WARNING, logger="client"):
        api.query(PHONE)
    [record] = caplog.records
    assert api.key_fingerprint in record.getMessage()
    assert "ProviderFailureError" in record.getMessage()


def test_get_method_sends_key_and_hash_as_query_parameters(make_client: Any) -> None:
    api, adapter = make_client(success_body("3", ORDERID), method="GET")
    assert api.query(PHONE).code is Tenure("3")
    [sent] = adapter.sent
    assert sent.method == "GET"
    assert sent.body == ""
    path, _, query = sent.url.partition("?")
    assert path == BASE_URL + PATH
    assert parse_qs(query) == {"key": [KEY], "mobile": [DIGEST]}
    assert "method='GET'" in repr(api)


@pytest.mark.parametrize("method", ["get", "PUT", "", None])
def test_client_refuses_unknown_method(method: Any) -> None:
    with pytest.raises(ValueError, match="POST, GET"):
        TenureClient(KEY, method=method)


def test_get_method_keeps_key_out_of_transport_messages(make_client: Any) -> None:
    # requests names the whole URL, query string included, when a connection fails.
    refused = requests.ConnectionError(f"Max retries exceeded with url: {PATH}?key={KEY}&m=1")
    api, _ = make_client(refused, max_retries=0, method="GET")
    with pytest.raises(ConnectError) as info:
        api.query(PHONE)
    assert KEY not in str(info.value)
    assert "key=<key>" in str(info.value)
