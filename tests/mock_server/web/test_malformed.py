"""Malformed requests: never a 5xx, never a traceback; API answers in the API's own shape."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256
from mock_server.testing import JuheMock

from ...helpers.answers import JSON_TYPE, check_body, fetch

HASH = mobile_sha256(magic_number("3"))

# (id, method, path + query, headers, body, expected status, expected error_code or None)
CASES: list[tuple[str, str, str, dict[str, str], bytes, int, int | None]] = [
    ("no-params", "GET", PATH, {}, b"", 200, 10001),
    ("empty-key", "GET", f"{PATH}?key=&mobile={HASH}", {}, b"", 200, 10001),
    ("no-key-bad-mobile", "GET", f"{PATH}?mobile=xyz", {}, b"", 200, 10001),
    ("no-mobile", "GET", f"{PATH}?key=k", {}, b"", 200, 234802),
    ("empty-mobile", "GET", f"{PATH}?key=k&mobile=", {}, b"", 200, 234802),
    ("short-hash", "GET", f"{PATH}?key=k&mobile={HASH[:63]}", {}, b"", 200, 234802),
    ("non-hex-hash", "GET", f"{PATH}?key=k&mobile={'g' * 64}", {}, b"", 200, 234802),
    ("plain-phone", "GET", f"{PATH}?key=k&mobile=13812345678", {}, b"", 200, 234802),
    ("bad-utf8-mobile", "GET", f"{PATH}?key=k&mobile=%FF%FE%FD", {}, b"", 200, 234802),
    ("bad-utf8-key", "GET", f"{PATH}?key=%FF%C3&mobile={HASH}", {}, b"", 200, 0),
    ("bad-percent", "GET", f"{PATH}?key=k&mobile=%zz%", {}, b"", 200, 234802),
    ("nul-bytes", "GET", f"{PATH}?key=k%00&mobile=%00", {}, b"", 200, 234802),
    ("dup-params", "GET", f"{PATH}?key=k&key=j&mobile={HASH}&mobile=x", {}, b"", 200, 0),
    ("huge-mobile", "GET", f"{PATH}?key=k&mobile={'a' * 60000}", {}, b"", 200, 234802),
    ("huge-key", "GET", f"{PATH}?key={'k' * 60000}&mobile={HASH}", {}, b"", 200, 0),
    ("chinese-mobile", "GET", f"{PATH}?key=k&mobile=%E6%89%8B%E6%9C%BA", {}, b"", 200, 234802),
    (
        "json-body",
        "POST", PATH, {"Content-Type": "application/json"},
        json.dumps({"key": "k", "mobile": HASH}).encode(), 200, 10001,
    ),
    (
        "form-bad-utf8",
        "POST", PATH, {"Content-Type": "application/x-www-form-urlencoded"},
        b"key=k&mobile=%FF%FE", 200, 234802,
    ),
    (
        "form-garbage",
        "POST", PATH, {"Content-Type": "application/x-www-form-urlencoded"},
        b"\x00\x01\x02&&==&", 200, 10001,
    ),
    (
        "multipart-junk",
        "POST", PATH, {"Content-Type": "multipart/form-data; boundary=x"},
        b"--x\r\nnot really\r\n", 200, 10001,
    ),
    (
        "huge-form",
        "POST", PATH, {"Content-Type": "application/x-www-form-urlencoded"},
        b"key=k&mobile=" + b"a" * (2 * 1024 * 1024), 413, 234802,
    ),
    ("put", "PUT", PATH, {}, b"", 405, 234802),
    ("delete", "DELETE", f"{PATH}?key=k&mobile={HASH}", {}, b"", 405, 234802),
    ("patch", "PATCH", PATH, {}, b"x", 405, 234802),
    ("options", "OPTIONS", PATH, {}, b"", 405, 234802),
    ("unknown-method", "BREW", PATH, {}, b"", 405, 234802),
    ("unknown-path", "GET", "/nope", {}, b"", 404, None),
    ("path-prefix", "GET", PATH + "/extra", {}, b"", 404, None),
    # A client that left out the path; a bare GET / leads to the dashboard (test_dashboard.py).
    ("root-with-query", "GET", f"/?key=k&mobile={HASH}", {}, b"", 404, None),
    ("root-post", "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
     f"key=k&mobile={HASH}".encode(), 404, None),
    ("admin-unknown", "GET", "/__admin/nope", {}, b"", 404, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "status", "code"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_malformed_request_gets_clear_answer(
    juhe_mock: JuheMock,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    code: int | None,
) -> None:
    response = requests.request(
        method, juhe_mock.url + target, headers=headers, data=body, timeout=10
    )
    assert response.status_code == status
    assert response.status_code < 500
    assert response.headers["Content-Type"] == JSON_TYPE
    parsed: dict[str, Any] = json.loads(response.content.decode("utf-8"))
    if code is None:
        assert parsed["error"] == "not_found"
        return
    check_body(parsed)
    assert parsed["error_code"] == code
    if code == 234802:
        assert parsed["reason"].startswith("参数错误:")


def test_head_is_get_without_a_body(juhe_mock: JuheMock) -> None:
    response = requests.head(juhe_mock.url + PATH, params={"key": "k", "mobile": HASH}, timeout=10)
    assert response.status_code == 200
    assert response.content == b""


def test_reason_names_the_problem(juhe_mock: JuheMock) -> None:
    reasons = {}
    for value in ["", "13812345678", "a" * 10, "g" * 64]:
        body = fetch(juhe_mock, {"key": "k", "mobile": value})
        assert body["error_code"] == 234802
        reasons[value] = body["reason"]
    assert len(set(reasons.values())) == 4  # each problem is said differently
    assert "明文" in reasons["13812345678"]


def test_plaintext_phone_never_reaches_journal(juhe_mock: JuheMock) -> None:
    requests.get(juhe_mock.url + PATH, params={"key": "k", "mobile": "13812345678"}, timeout=10)
    text = json.dumps(juhe_mock.requests, ensure_ascii=False)
    assert "13812345678" not in text
    assert juhe_mock.requests[-1]["mobile"] is None


def test_key_never_reaches_journal(juhe_mock: JuheMock) -> None:
    secret = "s3cr3t-key-value"
    requests.get(juhe_mock.url + PATH, params={"key": secret, "mobile": HASH}, timeout=10)
    assert secret not in json.dumps(juhe_mock.requests)
    assert len(juhe_mock.requests[-1]["key"]) == 8


def test_raw_garbage_on_socket_is_not_a_5xx(juhe_mock: JuheMock) -> None:
    host, port = juhe_mock.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GARBAGE \xff\xfe HTTP/9.9\r\n\r\n")
        reply = sock.recv(4096)
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    assert status == 0 or status < 500
