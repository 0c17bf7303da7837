"""The admin API refuses cross-site changes and, without a token, DNS-rebinding names.

A page in a browser can send a "simple" POST to a loopback mock; the admin API reads its
body as JSON whatever the Content-Type, so without this check any page could reset or
reconfigure the mock. The rule itself (``web/origin.refusal``) is checked as a table, then
over HTTP on a served mock; the browser is in ``test_browser_origins.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from contract import magic_number
from mock_server import MockServer, create_app
from mock_server.web.origin import refusal

from ...helpers.answers import fetch, query

OWN = "http://127.0.0.1:8000"


def _headers(**given: str) -> dict[str, str]:
    return {"Host": "127.0.0.1:8000", **{k.replace("_", "-"): v for k, v in given.items()}}


RULES = [
    # (method, headers, scheme, token, refused?)
    ("POST", _headers(Origin=OWN), "http", False, False),
    ("POST", _headers(Origin="HTTP://127.0.0.1:8000"), "http", False, False),
    ("POST", _headers(), "http", False, False),  # curl, scripts: no Origin
    ("POST", _headers(Origin="http://evil.example"), "http", False, True),
    ("POST", _headers(Origin="http://127.0.0.1:9000"), "http", False, True),  # another port
    ("POST", _headers(Origin="https://127.0.0.1:8000"), "http", False, True),  # another scheme
    ("POST", _headers(Origin="null"), "http", False, True),  # a sandboxed frame, a file
    ("PUT", _headers(Origin="http://localhost:8000"), "http", False, True),  # another host
    ("DELETE", _headers(Origin="http://evil.example"), "http", True, True),  # token or not
    ("PATCH", _headers(Origin="http://evil.example"), "http", False, True),
    ("POST", _headers(Sec_Fetch_Site="cross-site"), "http", False, True),
    ("POST", _headers(Sec_Fetch_Site="same-site"), "http", False, True),
    ("POST", _headers(Sec_Fetch_Site="same-origin"), "http", False, False),
    ("GET", _headers(Origin="http://evil.example"), "http", False, False),  # reads: CORS
    ("POST", {"Host": "127.0.0.1", "Origin": "http://127.0.0.1:80"}, "http", False, False),
    ("POST", {"Host": "[::1]:8000", "Origin": "http://[::1]:8000"}, "http", False, False),
    ("POST", {"Host": "localhost:443", "Origin": "https://localhost"}, "https", False, False),
    # DNS rebinding: the page's own name points at 127.0.0.1, so it is "same-origin".
    ("POST", {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}, "http",
     False, True),
    ("GET", {"Host": "evil.example:8000"}, "http", False, True),
    ("GET", {"Host": "evil.example:8000"}, "http", True, False),  # a token is the proof
    ("GET", {"Host": "app.localhost:8000"}, "http", False, False),
    ("GET", {"Host": "10.0.0.5:8000"}, "http", False, False),  # an address names no page
    ("GET", {"Host": "bad host"}, "http", False, True),
]  # fmt: skip


@pytest.mark.parametrize(("method", "headers", "scheme", "token", "refused"), RULES)
def test_the_rule(
    method: str, headers: dict[str, str], scheme: str, token: bool, refused: bool
) -> None:
    why = refusal(method, headers.get, scheme, token=token)
    assert (why is not None) == refused, why


@pytest.fixture
def served() -> Iterator[MockServer]:
    with MockServer(seed=1) as mock:
        fetch(mock, query(magic_number("3")))  # one entry that a reset would clear
        yield mock


def _post(mock: MockServer, path: str, body: bytes, **headers: str) -> requests.Response:
    # text/plain: what a page may send without a preflight
    sent = {"Content-Type": "text/plain", **headers}
    return requests.post(mock.url + "/__admin" + path, data=body, headers=sent, timeout=10)


def test_a_cross_site_reset_is_refused_and_the_journal_stays(served: MockServer) -> None:
    response = _post(served, "/reset", b"", Origin="http://evil.example")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert "Origin 'http://evil.example'" in response.json()["message"]
    assert len(served.requests) == 1
    assert _post(served, "/reset", b"", Origin=served.url).status_code == 200  # the dashboard
    assert served.requests == []


def test_a_cross_site_rule_is_refused_and_the_answers_stay(served: MockServer) -> None:
    rule = b'{"then": {"error": 10020}}'
    assert _post(served, "/scenarios/rules", rule, Origin="null").status_code == 403
    assert _post(served, "/scenarios/rules", rule, **{"Sec-Fetch-Site": "cross-site"}
                 ).status_code == 403  # fmt: skip
    assert fetch(served, query(magic_number("2")))["result"]["code"] == "2"
    assert _post(served, "/scenarios/rules", rule).status_code == 201  # curl: no Origin
    assert fetch(served, query(magic_number("2")))["error_code"] == 10020


def test_a_rebinding_host_is_refused_without_a_token(served: MockServer) -> None:
    port = served.port
    rebound = {"Host": f"rebound.example:{port}"}
    get = requests.get(served.url + "/__admin/requests", headers=rebound, timeout=10)
    assert get.status_code == 403 and "Host 'rebound.example" in get.json()["message"]
    put = requests.put(served.url + "/__admin/scenarios", data=b"{}",
                       headers={**rebound, "Origin": f"http://rebound.example:{port}"},
                       timeout=10)  # fmt: skip
    assert put.status_code == 403
    assert len(served.requests) == 1
    ok = requests.get(f"http://localhost:{port}/__admin/health", timeout=10)
    assert ok.status_code == 200


def test_with_a_token_any_host_but_still_no_foreign_origin() -> None:
    client = create_app({"admin_token": "t0ken"}).test_client()
    auth = {"Authorization": "Bearer t0ken"}
    named = client.get("/__admin/health", headers={**auth, "Host": "mock.internal:8000"})
    assert named.status_code == 200
    foreign = client.post("/__admin/reset", headers={**auth, "Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert client.post("/__admin/reset", headers=auth).status_code == 200


def test_the_api_itself_is_not_guarded(served: MockServer) -> None:
    """The API answers pages from anywhere (as the vendor does); only admin is guarded."""
    body = fetch(served, query(magic_number("1")),
                 headers={"Origin": "http://evil.example", "Host": "evil.example"})  # fmt: skip
    assert body["result"]["code"] == "1"
