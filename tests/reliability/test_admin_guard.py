"""The admin guard under hostile headers and addresses, and an empty token at start.

What failed before issue 16: a token that is not ASCII could never match (the header's
bytes were compared after a lossy decode), ``bearer`` in lower case was refused, an
IPv4-mapped loopback client (``::ffff:127.0.0.1``, what a dual-stack socket reports) got a
403 and slipped past ``ips.banned: [127.0.0.1]``.
"""

from __future__ import annotations

import os
import socket
import subprocess
from typing import Any

import pytest

from contract import PATH, magic_number, mobile_sha256
from mock_server import MockServer
from mock_server.scenario.model import IpMatcher, normal_ip
from mock_server.web.app import create_app

from ..helpers.answers import check_answer
from ..helpers.served import mock_command

HASH = mobile_sha256(magic_number("3"))
UNICODE_TOKEN = "tökén-管理-7d41"


def _as_wsgi(raw: bytes) -> str:
    """A header's bytes as a WSGI server hands them to the app (latin-1 text)."""
    return raw.decode("latin-1")


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("HTTP_AUTHORIZATION", b"Bearer " + UNICODE_TOKEN.encode(), 200),
        ("HTTP_AUTHORIZATION", b"bearer " + UNICODE_TOKEN.encode(), 200),
        ("HTTP_AUTHORIZATION", b"BEARER  " + UNICODE_TOKEN.encode(), 200),
        ("HTTP_X_ADMIN_TOKEN", UNICODE_TOKEN.encode(), 200),
        ("HTTP_AUTHORIZATION", b"Bearer \xff\xfe\x80", 401),
        ("HTTP_AUTHORIZATION", b"\xff\xfe \xc3", 401),
        ("HTTP_X_ADMIN_TOKEN", b"\xed\xa0\x80", 401),  # a UTF-8-encoded surrogate
        ("HTTP_AUTHORIZATION", b"Bearer " + UNICODE_TOKEN.encode("utf-16-le"), 401),
        ("HTTP_AUTHORIZATION", b"Basic " + UNICODE_TOKEN.encode(), 401),
        ("HTTP_AUTHORIZATION", b"Bearer", 401),
    ],
    ids=["bearer", "bearer-lower", "bearer-upper-two-spaces", "x-admin-token", "not-utf8",
         "not-utf8-scheme", "surrogate", "utf16", "basic", "bearer-empty"],
)  # fmt: skip
def test_the_token_is_compared_as_bytes_and_never_500s(
    header: str, value: bytes, status: int
) -> None:
    client = create_app({"admin_token": UNICODE_TOKEN}).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.5", header: _as_wsgi(value)}
    response = client.get("/__admin/health", environ_overrides=remote)
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body is not None and (body["status"] == "ok" if status == 200 else body["error"])


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_raw_header_bytes_over_a_real_server() -> None:
    """The same through a real server's own header parsing: bytes on the wire, not a test client."""
    with MockServer(admin_token=UNICODE_TOKEN) as mock:
        statuses = []
        for auth in (b"Bearer \xff\xfe", b"bearer " + UNICODE_TOKEN.encode(), b"Bearer x\x80y"):
            answer = _exchange(
                mock.port,
                b"GET /__admin/health HTTP/1.1\r\nHost: t\r\nAuthorization: " + auth
                + b"\r\nConnection: close\r\n\r\n",
            )  # fmt: skip
            statuses.append(int(answer.split(b" ", 2)[1]))
    assert statuses == [401, 200, 401]


@pytest.mark.parametrize(
    ("address", "normal"),
    [("::ffff:127.0.0.1", "127.0.0.1"), ("::FFFF:7f00:1", "127.0.0.1"),
     ("::ffff:203.0.113.5", "203.0.113.5"), ("::1", "::1"), ("127.0.0.1", "127.0.0.1"),
     ("::ffff:zz", "::ffff:zz"), ("2001:db8::ffff:1", "2001:db8::ffff:1"), ("", "")],
)  # fmt: skip
def test_ipv4_mapped_addresses_are_normalised(address: str, normal: str) -> None:
    assert normal_ip(address) == normal


def test_a_mapped_loopback_client_may_use_the_admin_api_and_a_mapped_remote_may_not() -> None:
    client = create_app().test_client()
    # /__admin/requests: the health answer alone is open to every client (it says who this is)
    ok = client.get("/__admin/requests", environ_overrides={"REMOTE_ADDR": "::ffff:127.0.0.1"})
    assert ok.status_code == 200
    far = client.get("/__admin/requests", environ_overrides={"REMOTE_ADDR": "::ffff:203.0.113.5"})
    assert far.status_code == 403


def _api(client: Any, address: str) -> dict[str, Any]:
    response = client.get(
        PATH, query_string={"key": "k", "mobile": HASH}, environ_overrides={"REMOTE_ADDR": address}
    )
    return check_answer(response.status_code, response.content_type, response.data)


@pytest.mark.parametrize(
    ("scenario", "address", "code"),
    [
        ({"ips": {"banned": ["127.0.0.1"]}}, "::ffff:127.0.0.1", 10008),
        ({"ips": {"banned": ["127.0.0.0/8"]}}, "::ffff:127.0.0.1", 10008),
        ({"ips": {"banned": ["::ffff:10.0.0.1"]}}, "10.0.0.1", 10008),
        ({"ips": {"banned": ["::ffff:10.0.0.0/104"]}}, "10.1.2.3", 10008),
        ({"ips": {"sources": ["10.0.0.1"]}}, "::ffff:10.0.0.1", 0),
        ({"rules": [{"when": {"ip": "127.0.0.1"}, "then": {"error": 10020}}]},
         "::ffff:127.0.0.1", 10020),
        ({"ips": {"banned": ["127.0.0.1"]}}, "::1", 0),
    ],
    ids=["banned-exact", "banned-network", "mapped-entry", "mapped-network", "sources",
         "rule-ip", "v6-loopback-is-not-v4"],
)  # fmt: skip
def test_ip_models_see_a_mapped_client_as_its_ipv4_address(
    scenario: dict[str, Any], address: str, code: int
) -> None:
    app = create_app({"scenarios": [scenario]})
    client = app.test_client()
    assert _api(client, address)["error_code"] == code
    journal = client.get("/__admin/requests").get_json()["requests"]
    assert journal[-1]["ip"] == normal_ip(address)


def test_mapped_entries_compile_to_their_ipv4_form() -> None:
    matcher = IpMatcher(["::ffff:192.0.2.1", "::ffff:198.51.100.0/120"])
    assert "192.0.2.1" in matcher and "198.51.100.77" in matcher
    assert "::ffff:192.0.2.1" in matcher  # a caller that did not normalise still matches
    assert "192.0.2.2" not in matcher


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("args", "env", "where"),
    [(["--admin-token", ""], {}, "--admin-token"),
     ([], {"JUHE_MOCK_ADMIN_TOKEN": ""}, "JUHE_MOCK_ADMIN_TOKEN")],
    ids=["option", "environment"],
)  # fmt: skip
def test_an_empty_admin_token_at_start_exits_2(
    args: list[str], env: dict[str, str], where: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JUHE_MOCK_")}
    done = subprocess.run(
        mock_command(*args), capture_output=True, text=True, timeout=60,
        env={**clean, **env},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert f"juhe-mock: {where}: an empty admin token protects nothing" in done.stderr
    assert "Traceback" not in done.stderr
