"""The retry decision and the backoff, as pure functions."""

from __future__ import annotations

import pytest

from client import ConnectError, HTTPStatusError, InvalidResponseError, RequestTimeout, error_for
from client.errors import JuheError
from client.retry import RetryPolicy, add_jitter, backoff_seconds, should_retry, within_time
from contract import ERROR_CODES

POLICY = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=3.0, max_total_time=10.0)


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_should_retry_only_234801_among_error_answers(code: int) -> None:
    assert should_retry(error_for(code, "x"), 0, POLICY) is (code == 234801)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectError("refused"), True),
        (RequestTimeout("connect timeout", sent=False), True),
        (RequestTimeout("read timeout"), False),
        (HTTPStatusError("HTTP 502", status=502), False),
        (ConnectError("cut mid-request", sent=True), False),
        (HTTPStatusError("HTTP 404", answered=True, status=404), False),
        (InvalidResponseError("not JSON", answered=True), False),
        (JuheError(777777, "unknown"), False),
    ],
    ids=[
        "refused",
        "connect-timeout",
        "read-timeout",
        "502",
        "cut",
        "404",
        "garbled-answer",
        "unknown-code",
    ],
)
def test_should_retry_transport_faults_only_before_sending(
    error: JuheError, expected: bool
) -> None:
    assert should_retry(error, 0, POLICY) is expected


UNSAFE = RetryPolicy(max_retries=3, retry_unsafe=True)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RequestTimeout("read timeout"), True),
        (HTTPStatusError("HTTP 502", status=502), True),
        (ConnectError("cut mid-request", sent=True), True),
        (HTTPStatusError("HTTP 404", answered=True, status=404), False),  # answered: never
        (InvalidResponseError("not JSON", answered=True), False),
    ],
    ids=["read-timeout", "502", "cut", "404", "garbled-answer"],
)
def test_retry_unsafe_also_retries_faults_after_sending(error: JuheError, expected: bool) -> None:
    assert should_retry(error, 0, UNSAFE) is expected


def test_should_retry_stops_at_max_retries() -> None:
    error = error_for(234801, "服务商网络异常，请重试")
    assert [should_retry(error, done, POLICY) for done in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert not should_retry(error, 0, RetryPolicy(max_retries=0))


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 2.0), (0.5, 3.0), (0.999, 3.998)])
def test_add_jitter_between_half_and_all(rand: float, expected: float) -> None:
    assert add_jitter(4.0, lambda: rand) == pytest.approx(expected)


def test_backoff_doubles_then_caps_before_jitter() -> None:
    no_jitter = [backoff_seconds(n, POLICY, jitter=lambda s: s) for n in range(5)]
    assert no_jitter == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_applies_jitter_function() -> None:
    assert backoff_seconds(1, POLICY, jitter=lambda s: s / 4) == 0.25


def test_within_time_caps_total_time() -> None:
    assert within_time(8.0, 2.0, POLICY)
    assert not within_time(8.0, 2.5, POLICY)


def test_retry_policy_refuses_negative_values() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(max_total_time=-0.1)
