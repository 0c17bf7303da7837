"""The client against the mock, in process and as a ``juhe-mock`` subprocess.

Every answer the client receives is validated strictly against the contract (the
``answers`` fixture checks them all when the test ends).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client import (
    ERROR_CLASSES,
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
)
from client.client import Method
from contract import ERROR_CODES, MAGIC_NUMBERS, TENURE_CODES, magic_number

from ..helpers.answers import check_body
from .mocks import Answers, InProcessMock, Mock, SubprocessMock

KEY = "0123456789abcdef0123456789abcdef"
TENURE_MAGIC = [m for m in MAGIC_NUMBERS.values() if m.tenure is not None]
ERROR_MAGIC = [m for m in MAGIC_NUMBERS.values() if m.tenure is None]


@pytest.fixture(
    scope="module", params=["in-process", pytest.param("subprocess", marks=pytest.mark.subprocess)]
)
def running_mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    mock: InProcessMock | SubprocessMock = (
        InProcessMock() if request.param == "in-process" else SubprocessMock()
    )
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture
def mock(running_mock: Mock) -> Mock:
    running_mock.reset()
    return running_mock


@pytest.fixture
def answers() -> Iterator[Answers]:
    recorded = Answers()
    yield recorded
    if not recorded.faults_expected:
        recorded.check()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def api(mock: Mock, answers: Answers, waits: list[float]) -> Iterator[TenureClient]:
    session = answers.session()
    with TenureClient(KEY, base_url=mock.url, session=session, sleep=waits.append) as client:
        yield client
    session.close()


def test_mock_url_is_loopback(mock: Mock) -> None:
    assert mock.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("magic", TENURE_MAGIC, ids=lambda m: f"tenure-{m.tenure}")
def test_magic_number_gives_its_tenure_code(api: TenureClient, mock: Mock, magic: Any) -> None:
    result = api.query(magic.phone)
    entry = TENURE_CODES[magic.tenure]
    assert result.code is Tenure(magic.tenure)
    assert (result.months_above, result.months_up_to) == (entry.months_above, entry.months_up_to)
    assert result.code.words == entry.words
    assert result.orderid.startswith("J")
    assert result.mobile_sha256 == magic.sha256
    check_body(dict(result.body))
    [call] = mock.journal()
    assert call["mobile"] == magic.sha256
    assert call["method"] == "POST"
    assert call["billable"] is True
    assert mock.usage()["billable"] == 1


@pytest.mark.parametrize("magic", ERROR_MAGIC, ids=lambda m: f"error-{m.error_code}")
def test_magic_number_raises_its_error_class(
    api: TenureClient, mock: Mock, waits: list[float], magic: Any
) -> None:
    entry = ERROR_CODES[magic.error_code]
    with pytest.raises(JuheError) as info:
        api.query(magic.phone)
    exc = info.value
    assert type(exc) is ERROR_CLASSES[magic.error_code]
    assert exc.family is entry.family
    assert exc.error_code == magic.error_code
    assert exc.reason == entry.wire_reason()
    assert exc.body is not None
    check_body(dict(exc.body))
    # Only 234801 is retried (twice by default); nothing is billed.
    calls = 3 if entry.retryable else 1
    assert len(mock.journal()) == calls
    assert len(waits) == calls - 1
    assert mock.usage()["billable"] == 0


def test_retry_sequence_gives_one_result_after_three_calls(
    api: TenureClient, mock: Mock, waits: list[float]
) -> None:
    phone = "13012345678"
    mock.configure(
        {
            "rules": [
                {
                    "when": {"mobile": phone},
                    "sequence": [{"error": 234801}, {"error": 234801}, {"tenure": "4"}],
                }
            ]
        }
    )
    result = api.query(phone)
    assert result.code is Tenure("4")
    journal = mock.journal()
    assert [call["outcome"]["error_code"] for call in journal] == [234801, 234801, 0]
    assert mock.usage()["billable"] == 1
    assert len(waits) == 2
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0  # doubling, jittered


def test_quota_error_is_never_retried(api: TenureClient, mock: Mock, waits: list[float]) -> None:
    mock.configure({"keys": {"quota": 1}})
    api.query(magic_number("3"))
    with pytest.raises(QuotaError) as info:
        api.query(magic_number("3"))
    assert info.value.error_code == 10012
    assert len(mock.journal()) == 2  # one success, then exactly one call for the quota error
    assert mock.usage()["billable"] == 1
    assert waits == []


def test_provider_failure_retries_stop_at_max_retries(
    mock: Mock, answers: Answers, waits: list[float]
) -> None:
    with (
        TenureClient(
            KEY, base_url=mock.url, session=answers.session(), sleep=waits.append, max_retries=4
        ) as api,
        pytest.raises(ProviderFailureError),
    ):
        api.query(magic_number(234801))
    assert len(mock.journal()) == 5
    assert len(waits) == 4


@pytest.mark.parametrize(
    ("fault", "cls", "calls", "unsafe_calls"),
    [
        # After the request was sent: it may have been billed, so one call unless the
        # caller opts into retrying it (retry_unsafe).
        ({"fault": "status", "status": 502, "body": "html"}, HTTPStatusError, 1, 3),
        ({"fault": "drop"}, ConnectError, 1, 3),
        # A garbled answer may have been billed (the mock bills it): exactly one call.
        ({"fault": "malformed"}, InvalidResponseError, 1, 1),
        ({"fault": "truncated"}, InvalidResponseError, 1, 1),
    ],
    ids=["502", "drop", "malformed", "truncated"],
)
@pytest.mark.parametrize("retry_unsafe", [False, True], ids=["default", "retry-unsafe"])
def test_mock_fault_raises_transport_error_retried_only_before_sending(
    mock: Mock,
    answers: Answers,
    fault: dict[str, Any],
    cls: type[TransportError],
    calls: int,
    unsafe_calls: int,
    retry_unsafe: bool,
) -> None:
    answers.faults_expected = True
    phone = "13012345678"
    mock.configure({"rules": [{"when": {"mobile": phone}, "then": fault}]})
    with (
        answers.session() as session,
        TenureClient(
            KEY, base_url=mock.url, session=session, sleep=lambda _: None,
            retry_unsafe=retry_unsafe,
        ) as api,
        pytest.raises(cls) as info,
    ):  # fmt: skip
        api.query(phone)
    if retry_unsafe:
        calls = unsafe_calls
    assert info.value.error_code is None
    journal = mock.journal()
    assert len(journal) == calls
    assert mock.usage()["billable"] == sum(call["billable"] for call in journal)


def test_fault_then_success_is_retried_to_a_result_when_the_caller_opts_in(
    mock: Mock, answers: Answers
) -> None:
    answers.faults_expected = True
    phone = "13012345678"
    mock.configure(
        {
            "rules": [
                {
                    "when": {"mobile": phone},
                    "sequence": [{"fault": "status", "status": 503}, {"tenure": "1"}],
                }
            ]
        }
    )
    with (
        answers.session() as session,
        TenureClient(
            KEY, base_url=mock.url, session=session, sleep=lambda _: None, retry_unsafe=True
        ) as api,
    ):
        assert api.query(phone).code is Tenure("1")
    [(status, _), (ok, content)] = answers.received
    assert (status, ok) == (503, 200)
    check_body(json.loads(content))


def test_slow_answer_raises_request_timeout(mock: Mock, answers: Answers) -> None:
    phone = "13012345678"
    mock.configure({"rules": [{"when": {"mobile": phone}, "then": {"latency": 1.5}}]})
    with (
        TenureClient(
            KEY, base_url=mock.url, session=answers.session(), timeout=(2.0, 0.3), max_retries=0
        ) as api,
        pytest.raises(RequestTimeout),
    ):
        api.query(phone)
    assert answers.received == []
    # The mock records the call once its latency has passed: wait for it here, so that the
    # entry does not land in the next test's journal.
    deadline = time.monotonic() + 30
    while not mock.journal() and time.monotonic() < deadline:
        time.sleep(0.05)
    [call] = mock.journal()
    assert call["mobile"] == hash_mobile(phone)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_key_and_number_absent_from_everything_captured(
    mock: Mock, answers: Answers, caplog: pytest.LogCaptureFixture, method: Method
) -> None:
    phone = "13012345678"
    mock.configure(
        {"rules": [{"when": {"mobile": phone}, "sequence": [{"error": 234801}, {"tenure": "2"}]}]}
    )
    captured: list[str] = []
    # DEBUG: urllib3's request lines and, in process, the mock's request log too.
    with (
        caplog.at_level(logging.DEBUG),
        TenureClient(
            KEY, base_url=mock.url, method=method, session=answers.session(), sleep=lambda _: None
        ) as api,
    ):
        captured.append(repr(api))
        captured.append(repr(api.query(phone)))
        for magic in (234802, 10001, 10012, 234803):
            with pytest.raises(JuheError) as info:
                api.query(magic_number(magic))
            captured += [str(info.value), repr(info.value), info.value.reason]
    journal = mock.journal()
    assert len(journal) == 2 + 4
    assert {call["method"] for call in journal} == {method}
    # The client and the mock name a key alike: the journal shows the client's fingerprint.
    assert {call["key"] for call in journal} == {api.key_fingerprint}
    captured.append(json.dumps(journal, ensure_ascii=False))
    log = mock.log_text()
    if isinstance(mock, SubprocessMock):  # its request log names the key by fingerprint
        assert api.key_fingerprint in log
    captured.append(log)
    records = [record.getMessage() for record in caplog.records]
    assert any("retry" in text for text in records)
    # urllib3's request line; with GET it names the key only as "<key>" (client.redact).
    line = f"{method} /mobile_online_sha256_cucc/query"
    assert any(line in text for text in records)
    if method == "GET":
        assert any("?key=<key>&mobile=" in text for text in records)
    captured += records
    for text in captured:
        assert KEY not in text
        assert phone not in text


def test_get_method_reaches_every_code_like_post(mock: Mock, answers: Answers) -> None:
    with TenureClient(
        KEY, base_url=mock.url, method="GET", session=answers.session(), sleep=lambda _: None
    ) as api:
        for magic in MAGIC_NUMBERS.values():
            if magic.tenure is not None:
                assert api.query(magic.phone).code is Tenure(magic.tenure)
                continue
            with pytest.raises(JuheError) as info:
                api.query(magic.phone)
            assert type(info.value) is ERROR_CLASSES[magic.error_code]
    journal = mock.journal()
    assert {call["method"] for call in journal} == {"GET"}
    assert len(journal) == len(MAGIC_NUMBERS) + 2  # 234801 is retried twice
    assert mock.usage()["billable"] == len(TENURE_MAGIC)


def _juhe_tenure(*argv: str, key: str | None = KEY) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "juhe-tenure"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "client.cli"]
    env = {k: v for k, v in os.environ.items() if k != "JUHE_KEY"}
    if key is not None:
        env["JUHE_KEY"] = key
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("code", "status", "shown"),
    [
        ("3", 0, '"code": "3"'),
        (234803, 1, '"error": "NoRecordError"'),
        (10001, 1, '"error_code": 10001'),
    ],
    ids=["tenure-3", "no-record", "invalid-key"],
)
def test_juhe_tenure_command_against_the_mock(
    mock: Mock, code: str | int, status: int, shown: str
) -> None:
    done = _juhe_tenure("query", magic_number(code), "--base-url", mock.url, "--json")
    assert done.returncode == status, done.stderr
    data = json.loads(done.stdout)
    assert shown in json.dumps(data, ensure_ascii=False)
    assert KEY not in done.stdout + done.stderr
    [call] = mock.journal()
    assert call["mobile"] == MAGIC_NUMBERS[magic_number(code)].sha256


@pytest.mark.subprocess
def test_juhe_tenure_command_hash_and_text_output(mock: Mock) -> None:
    magic = MAGIC_NUMBERS[magic_number("99")]
    done = _juhe_tenure("query", "--hash", magic.sha256, "--base-url", mock.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tenure code 99: ")


@pytest.mark.subprocess
def test_juhe_tenure_command_usage_problems_exit_2(mock: Mock) -> None:
    assert _juhe_tenure("query", "12345", "--base-url", mock.url).returncode == 2
    assert (
        _juhe_tenure("query", magic_number("1"), "--base-url", mock.url, key=None).returncode == 2
    )
    assert mock.journal() == []
