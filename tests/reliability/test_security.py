"""Security: the admin API's guard, size limits, clients that hang up mid-request, and the
session-wide check that no key or plaintext number is logged, journaled or reported."""

from __future__ import annotations

import hmac
import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from contract import JSON_CONTENT_TYPE, PATH, key_fingerprint, magic_number, mobile_sha256
from mock_server import MockServer
from mock_server.serve.logs import LogWriter
from mock_server.state.store import InMemoryStore
from mock_server.testing import JuheMock
from mock_server.web.answer import REQUEST_LOG
from mock_server.web.app import create_app

from ..helpers.answers import FORM, Served, check_answer
from ..helpers.leaks import SESSION, LeakDetector, judge, sent_keys
from ..helpers.logs import configured_logs
from ..helpers.rawhttp import build, exchange, parse

HASH = mobile_sha256(magic_number("3"))
TOKEN = "admin-token-for-tests-7d41"

# --- the admin API ----------------------------------------------------------------------

# (id, REMOTE_ADDR, admin token configured, headers sent, expected status)
ADMIN_CASES = [
    ("loopback-v4", "127.0.0.1", None, {}, 200),
    ("loopback-v6", "::1", None, {}, 200),
    ("loopback-other", "127.8.9.10", None, {}, 200),
    ("remote", "203.0.113.5", None, {}, 403),
    ("private-lan", "10.1.2.3", None, {}, 403),
    ("no-address", "", None, {}, 403),
    ("garbage-address", "not-an-ip", None, {}, 403),
    ("remote-forged-forwarded", "203.0.113.5", None, {"X-Forwarded-For": "127.0.0.1"}, 403),
    ("token-missing", "203.0.113.5", TOKEN, {}, 401),
    ("token-missing-loopback", "127.0.0.1", TOKEN, {}, 401),
    ("token-wrong", "203.0.113.5", TOKEN, {"X-Admin-Token": TOKEN + "x"}, 401),
    ("token-prefix", "203.0.113.5", TOKEN, {"X-Admin-Token": TOKEN[:-1]}, 401),
    ("token-non-ascii", "203.0.113.5", TOKEN, {"X-Admin-Token": "tökén"}, 401),
    ("token-header", "203.0.113.5", TOKEN, {"X-Admin-Token": TOKEN}, 200),
    ("token-bearer", "203.0.113.5", TOKEN, {"Authorization": f"Bearer {TOKEN}"}, 200),
    ("token-basic-scheme", "203.0.113.5", TOKEN, {"Authorization": f"Basic {TOKEN}"}, 401),
]


@pytest.mark.parametrize(
    ("address", "token", "headers", "status"),
    [case[1:] for case in ADMIN_CASES],
    ids=[case[0] for case in ADMIN_CASES],
)
@pytest.mark.parametrize("route", [("GET", "/__admin/requests"), ("POST", "/__admin/reset")])
def test_admin_guard_answers_by_address_and_token(
    route: tuple[str, str], address: str, token: str | None, headers: dict[str, str], status: int
) -> None:
    client = create_app({"admin_token": token}).test_client()
    method, path = route
    response = client.open(
        path, method=method, headers=headers, environ_overrides={"REMOTE_ADDR": address}
    )
    assert response.status_code == status, response.data
    assert response.content_type == JSON_CONTENT_TYPE
    if status != 200:
        body = json.loads(response.data)
        assert body["error"] in ("forbidden", "unauthorized") and body["message"]
        assert TOKEN not in response.get_data(as_text=True)


def test_refused_admin_request_changes_nothing() -> None:
    app = create_app({"admin_token": TOKEN})
    client = app.test_client()
    client.get(PATH, query_string={"key": "k", "mobile": HASH})
    remote = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.post("/__admin/reset", environ_overrides=remote).status_code == 401
    rule = {"then": {"error": 10020}}
    assert (
        client.post("/__admin/scenarios/rules", json=rule, environ_overrides=remote).status_code
        == 401
    )
    answer = client.get(PATH, query_string={"key": "k", "mobile": HASH})
    assert check_answer(answer.status_code, answer.content_type, answer.data)["error_code"] == 0
    authorised = client.get("/__admin/requests", headers={"X-Admin-Token": TOKEN})
    assert authorised.json is not None and authorised.json["count"] == 2  # no reset happened


def test_admin_token_is_compared_with_hmac_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    verdicts = iter([True, False])

    def spy(given: Any, expected: Any) -> bool:
        calls.append((given, expected))
        return next(verdicts)  # the guard must obey it, whatever the strings are

    monkeypatch.setattr(hmac, "compare_digest", spy)
    client = create_app({"admin_token": TOKEN}).test_client()
    wrong = client.get("/__admin/health", headers={"X-Admin-Token": "not-it"})
    right = client.get("/__admin/health", headers={"X-Admin-Token": TOKEN})
    assert (wrong.status_code, right.status_code) == (200, 401)  # the spy's verdicts
    assert calls == [(b"not-it", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


# --- size limits --------------------------------------------------------------------------


def test_oversized_form_body_gets_413_in_the_api_shape(server: MockServer) -> None:
    body = b"key=k&mobile=" + b"a" * (1024 * 1024 + 1)
    response = parse(
        exchange(
            server.port, build(b"POST", PATH.encode(), [(b"Content-Type", FORM.encode())], body)
        )
    )
    assert response.status == 413
    answer = json.loads(response.body)
    assert answer["error_code"] == 234802 and answer["reason"] == "参数错误:请求体过大"
    check_answer(200, response.headers["content-type"], response.body)  # strict-valid body


def test_body_over_the_server_limit_is_refused_without_a_5xx(server: MockServer) -> None:
    # Announce a body over waitress's own 4 MiB cap; it answers before the body arrives.
    head = build(b"POST", PATH.encode(), [(b"Content-Type", FORM.encode())], b"")
    head = head.replace(b"Content-Length: 0", b"Content-Length: %d" % (5 * 1024 * 1024))
    response = parse(exchange(server.port, head + b"key=k&mobile="))
    assert response.status == 413, response
    _answered(server)


@pytest.mark.parametrize(
    ("size", "statuses"),
    [(60_000, {200}), (200_000, {414}), (300_000, {414, 431})],
    ids=["60k", "200k-over-the-uri-limit", "300k-over-the-header-limit"],
)
def test_oversized_query_gets_a_clear_answer(
    server: MockServer, size: int, statuses: set[int]
) -> None:
    target = PATH.encode() + b"?key=k&mobile=" + b"a" * size
    response = parse(exchange(server.port, build(b"GET", target)))
    assert response.status in statuses, response
    if response.status == 200:
        answer = check_answer(200, response.headers["content-type"], response.body)
        assert answer["error_code"] == 234802 and "64" in answer["reason"]
    else:
        # The server refuses it before the app (hyper: a URI over 64 KiB); its status line
        # says why, and the connection closes.
        assert response.headers.get("connection") == "close", response


# --- clients that hang up -----------------------------------------------------------------


def _half_request(port: int, *, close: bool = True) -> socket.socket:
    """Headers announcing 1000 bytes of body, then 10 of them."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = build(b"POST", PATH.encode(), [(b"Content-Type", FORM.encode())], b"")
    head = head.replace(b"Content-Length: 0", b"Content-Length: 1000")
    sock.sendall(head + b"key=k&mobi")
    if close:
        sock.close()
    return sock


def _answered(mock: Served) -> None:
    response = requests.get(mock.url + PATH, params={"key": "k", "mobile": HASH}, timeout=5)
    body = check_answer(response.status_code, response.headers["Content-Type"], response.content)
    assert body["error_code"] == 0


def test_client_hanging_up_mid_body_does_not_disturb_the_server(juhe_mock: JuheMock) -> None:
    for _ in range(20):  # more than the server's 8 threads
        _half_request(juhe_mock.server.port)
        _answered(juhe_mock)
    assert juhe_mock.requests[-1]["outcome"]["error_code"] == 0


def test_stalled_half_requests_do_not_block_others(juhe_mock: JuheMock) -> None:
    stalled = [_half_request(juhe_mock.server.port, close=False) for _ in range(16)]
    try:
        for _ in range(3):
            _answered(juhe_mock)
    finally:
        for sock in stalled:
            sock.close()
    _answered(juhe_mock)


def test_client_hanging_up_before_reading_the_answer_does_not_disturb(juhe_mock: JuheMock) -> None:
    juhe_mock.scenario({"rules": [{"when": {"key": "slow"}, "then": {"latency": 0.2}}]})
    for _ in range(10):
        sock = socket.create_connection(("127.0.0.1", juhe_mock.server.port), timeout=5)
        sock.sendall(build(b"GET", PATH.encode() + b"?key=slow&mobile=" + HASH.encode()))
        sock.close()  # gone before the answer is written
    _answered(juhe_mock)


# --- the session-wide leak check ----------------------------------------------------------

PLANTED_KEY = "planted-key-0a9b8c7d"
PLANTED_PHONE = "13912345678"


class _PlantedStore(InMemoryStore):
    """A store class of its own, for a detector of its own to watch."""

    def journal_append(self, entry: Any) -> None:
        super().journal_append(entry)

    def ledger_add(self, key_fp: str, code: str) -> None:
        super().ledger_add(key_fp, code)


def test_leak_detector_catches_a_planted_key_and_number() -> None:
    detector = LeakDetector()
    detector.add_secret(PLANTED_KEY)
    detector.add_secret(PLANTED_PHONE)
    logger = logging.getLogger("tests.reliability.planted")
    logger.propagate = False  # the session's detector must not see the plant
    logger.setLevel(logging.INFO)
    detector.watch_logger(logger)
    detector.watch_store(_PlantedStore)
    try:
        store = _PlantedStore()
        fingerprint = key_fingerprint(PLANTED_KEY)
        logger.info("request", extra={"entry": {"key": fingerprint}})  # what the mock does
        store.journal_append({"key": fingerprint, "mobile": mobile_sha256(PLANTED_PHONE)})
        store.ledger_add(fingerprint, "3")
        assert detector.findings() == []

        logger.info("calling with key=%s", PLANTED_KEY)
        store.journal_append({"key": fingerprint, "mobile": PLANTED_PHONE})
        findings = detector.findings()
        assert len(findings) == 2, findings
        assert any("log record" in line for line in findings)
        assert any("journal entry" in line for line in findings)
        assert not any(PLANTED_KEY in line or PLANTED_PHONE in line for line in findings)

        session = SimpleNamespace(exitstatus=pytest.ExitCode.OK)
        assert judge(detector, session) == findings
        assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    finally:
        detector.uninstall()
        logger.propagate = True


@pytest.mark.parametrize(
    ("secret", "watched"),
    [("k", False), ("test-key", True), ("aaaaaaaaaa", False), ("deadbeef", False),
     ("0123456789abcdef0123456789abcdef", True), (HASH, False), ("13000000003", True)],
)  # fmt: skip
def test_leak_detector_watches_only_distinctive_secrets(secret: str, watched: bool) -> None:
    detector = LeakDetector()
    detector.add_secret(secret)
    assert (secret in detector.secrets) is watched


def test_session_leak_check_sees_the_mock_journal_and_request_log() -> None:
    # The session's detector is installed and sees what the mock writes, request log on.
    canary = "canary-key-for-the-session-3f9e"
    level = REQUEST_LOG.level
    REQUEST_LOG.setLevel(logging.INFO)
    try:
        with MockServer(seed=0) as mock:
            params = {"key": canary, "mobile": HASH}
            response = requests.get(mock.url + PATH, params=params, timeout=5)
            check_answer(response.status_code, response.headers["Content-Type"], response.content)
    finally:
        REQUEST_LOG.setLevel(level)
    assert canary in SESSION.secrets
    fingerprint = key_fingerprint(canary)
    sources = {
        where.split(" (in ")[0] for text, where in SESSION.texts.items() if fingerprint in text
    }
    assert {"journal entry", "ledger entry", "log record mock_server.requests"} <= sources


@pytest.fixture
def request_log_writer() -> Iterator[io.StringIO]:
    """``juhe-mock``'s log writer in this process, on a string; every logger put back."""
    with configured_logs("text") as (stream, _):
        yield stream


def test_session_leak_check_sees_the_log_writers_lines(request_log_writer: io.StringIO) -> None:
    # juhe-mock's request lines bypass logging (serve/logs.py): the detector watches the
    # writer itself, so every line it writes is checked.
    canary = "canary-key-for-the-writer-8d2a"
    with MockServer(seed=0) as mock:
        params = {"key": canary, "mobile": HASH}
        response = requests.get(mock.url + PATH, params=params, timeout=5)
        check_answer(response.status_code, response.headers["Content-Type"], response.content)
    deadline = time.monotonic() + 5  # the writer writes every few ms
    fingerprint = key_fingerprint(canary)
    while fingerprint not in request_log_writer.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    line = request_log_writer.getvalue()
    assert f"key={fingerprint}" in line and canary not in line
    assert canary in SESSION.secrets
    sources = {
        where.split(" (in ")[0] for text, where in SESSION.texts.items() if fingerprint in text
    }
    assert "log writer" in sources


class _PlantedWriter(LogWriter):
    """A writer class of its own, for a detector of its own to watch."""

    def write(self, text: str) -> None:
        super().write(text)


def test_leak_detector_catches_a_key_in_a_log_writer_line() -> None:
    detector = LeakDetector()
    detector.add_secret(PLANTED_KEY)
    detector.watch_writes(_PlantedWriter, "write", "log writer")
    try:
        writer = _PlantedWriter(io.StringIO())
        writer.push(f"key={key_fingerprint(PLANTED_KEY)} -> 0 code=3")
        writer.flush()
        assert detector.findings() == []
        writer.push(f"key={PLANTED_KEY} -> 0 code=3")  # after flush: written at once
        (finding,) = detector.findings()
        assert "log writer" in finding and PLANTED_KEY not in finding
    finally:
        detector.uninstall()


def test_leak_detector_learns_keys_sent_over_http_and_reads_subprocess_logs(
    tmp_path: Any,
) -> None:
    # A juhe-mock in another process never runs the in-process engine: the key the test
    # sends with requests is what makes its log checkable.
    detector = LeakDetector()
    detector.watch_arguments(requests.Session, "request", sent_keys)
    sent = "key-sent-to-another-process-71c2"
    try:
        with requests.Session() as session, pytest.raises(requests.ConnectionError):
            session.post("http://127.0.0.1:9" + PATH, data={"key": sent}, timeout=2)
    finally:
        detector.uninstall()
    assert sent in detector.secrets
    log = tmp_path / "juhe-mock.log"
    log.write_text(f"... key={key_fingerprint(sent)} -> 0 code=3\n", encoding="utf-8")
    detector.saw_file("juhe-mock log", log)
    assert detector.findings() == []
    log.write_text(f"... key={sent} -> 0 code=3\n", encoding="utf-8")
    detector.saw_file("juhe-mock log, leaking", log)
    (finding,) = detector.findings()
    assert "juhe-mock log, leaking" in finding and sent not in finding


def test_session_leak_check_watches_the_redis_store_and_http_keys() -> None:
    from mock_server.state.redis_store import RedisStore

    # Wrapped by the session's detector (leaks.install_session), not the class's own code.
    for name in ("journal_append", "ledger_add", "settle"):
        assert getattr(RedisStore, name).__module__ == "tests.helpers.leaks"
    assert requests.Session.request.__module__ == "tests.helpers.leaks"


@pytest.mark.parametrize(
    ("text", "found"),
    [(f"mobile={HASH}", False), (f"key={HASH[:40]} mobile=-", True), (f"k:{HASH[:40]}", True)],
)
def test_leak_detector_tells_a_hex_key_from_the_hash_it_is_cut_from(text: str, found: bool) -> None:
    detector = LeakDetector()
    detector.add_secret(HASH[:40])  # a test may send a cut hash as the key
    detector.saw("log record", text)
    assert bool(detector.findings()) is found


def test_leak_detector_ignores_keys_that_are_the_packages_own_text() -> None:
    # Hypothesis draws strings from constants in the code under test, so a fuzzed key can
    # be a probe's name ("empty key") that juhe-contract prints in its table: no leak.
    detector = LeakDetector()
    detector.add_secret("empty key")
    detector.add_secret(PLANTED_KEY)
    assert detector.secrets == {PLANTED_KEY}
    detector.saw("captured output", "2   empty key   POST key=''   10001   conform   free")
    assert detector.findings() == []
