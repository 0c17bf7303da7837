"""``--cors``: headers on every answer of the API path, a preflight answered there, and
nothing else changed: the same bytes, the same other headers, no CORS on the admin API.

Served mocks (the event-loop door, with what it leaves to Flask) and the WSGI app
(``create_app``, for WSGI servers and Flask's test client) are both checked. The browser
itself is in ``test_browser_origins.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from contract import PATH, magic_number
from mock_server import MockServer, create_app
from mock_server.web.app import FAILURE_HEADER
from mock_server.web.cors import ANSWER_HEADERS

from ...helpers.answers import check_body, fetch, query

FORM = "application/x-www-form-urlencoded"
ORIGIN = "http://127.0.0.1:9"  # a page elsewhere; never contacted
CORS = {name.lower(): value for name, value in ANSWER_HEADERS}
#: Answers whose bytes do not depend on the time (no orderid): compared byte for byte.
FIXED = {"rules": [{"when": {"key": "fault"}, "then": {"fault": "status", "status": 502}}]}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[MockServer, MockServer]]:
    """The same mock twice, CORS off and on."""
    with MockServer(FIXED, seed=3) as off, MockServer(FIXED, seed=3, cors=True) as on:
        yield off, on


def _headers(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() != "date"}


def _send(mock: MockServer, method: str, target: str, **kwargs: object) -> requests.Response:
    headers = {"Origin": ORIGIN, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return requests.request(method, mock.url + target, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


CASES = [
    ("no-key", "GET", PATH, {}),
    ("bad-hash", "GET", f"{PATH}?key=k&mobile=xyz", {}),
    ("form-post", "POST", PATH, {"data": {"key": "k", "mobile": "xyz"}}),
    ("multipart", "POST", PATH, {"files": {"key": ("k", b"k")}}),
    ("head", "HEAD", f"{PATH}?key=k", {}),
    ("put-405", "PUT", PATH, {}),
    ("too-large-413", "POST", PATH, {"data": b"key=" + b"k" * (2 * 1024 * 1024),
                                     "headers": {"Content-Type": FORM}}),
    ("fault-status", "GET", f"{PATH}?key=fault&mobile=" + "a" * 64, {}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "target", "extra"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_cors_adds_headers_and_changes_no_byte(
    pair: tuple[MockServer, MockServer], method: str, target: str, extra: dict[str, object]
) -> None:
    off, on = pair
    plain, crossed = _send(off, method, target, **extra), _send(on, method, target, **extra)
    assert crossed.status_code == plain.status_code
    assert crossed.content == plain.content
    assert _headers(crossed) == {**_headers(plain), **CORS}
    assert "access-control-allow-origin" not in _headers(plain)
    if plain.status_code == 200 and method != "HEAD":
        check_body(json.loads(crossed.content))


def test_a_success_carries_the_headers_and_a_valid_body(
    pair: tuple[MockServer, MockServer],
) -> None:
    _, on = pair
    body = fetch(on, query(magic_number("4")), headers={"Origin": ORIGIN})
    assert body["result"]["code"] == "4"
    response = _send(on, "GET", PATH, params=query(magic_number("4")))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert FAILURE_HEADER in response.headers["Access-Control-Expose-Headers"]


def test_preflight_is_answered_with_cors_and_is_a_405_without(
    pair: tuple[MockServer, MockServer],
) -> None:
    off, on = pair
    ask = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type, x-trace"}  # fmt: skip
    before = (len(on.requests), on.usage["billable"])
    preflight = _send(on, "OPTIONS", PATH, headers=ask)
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type, x-trace"
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    assert (len(on.requests), on.usage["billable"]) == before  # not journaled, not billed
    refused = _send(off, "OPTIONS", PATH, headers=ask)
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, POST"
    assert refused.json()["error_code"] == 234802
    assert "access-control-allow-origin" not in _headers(refused)


def test_a_strange_header_list_is_not_echoed(pair: tuple[MockServer, MockServer]) -> None:
    _, on = pair
    odd = _send(on, "OPTIONS", PATH, headers={"Access-Control-Request-Headers": "x-a, (y)"})
    assert odd.headers["Access-Control-Allow-Headers"] == "Content-Type"


@pytest.mark.parametrize("target", ["/__admin/health", "/__admin/usage", "/__admin/ui", "/nope"])
def test_the_admin_api_and_other_paths_get_no_cors(
    pair: tuple[MockServer, MockServer], target: str
) -> None:
    _, on = pair
    response = _send(on, "GET", target)
    assert "access-control-allow-origin" not in _headers(response)
    preflight = _send(on, "OPTIONS", target, headers={"Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in _headers(preflight)


def test_the_wsgi_app_has_the_same_cors() -> None:
    client = create_app({"cors": True}).test_client()
    plain = create_app().test_client()
    answer = client.get(PATH, query_string={"key": "k"}, headers={"Origin": ORIGIN})
    before = plain.get(PATH, query_string={"key": "k"})
    assert answer.data == before.data and answer.headers["Access-Control-Allow-Origin"] == "*"
    check_body(answer.get_json())
    assert client.put(PATH).headers["Access-Control-Allow-Origin"] == "*"  # the 405 too
    preflight = client.options(PATH, headers={"Access-Control-Request-Headers": "x-a"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-a"
    assert plain.options(PATH).status_code == 405
    assert "Access-Control-Allow-Origin" not in client.get("/__admin/health").headers


def test_cors_from_the_environment_and_the_command_line() -> None:
    from mock_server.config import MockConfig, SettingsError

    assert MockConfig.build(environ={"JUHE_MOCK_CORS": "yes"}).cors is True
    assert MockConfig.build(environ={"JUHE_MOCK_CORS": "0"}).cors is False
    assert MockConfig.build(arguments={"cors": True}).cors is True
    with pytest.raises(SettingsError, match="JUHE_MOCK_CORS: 'maybe' is not a switch"):
        MockConfig.build(environ={"JUHE_MOCK_CORS": "maybe"})


def test_a_store_failure_answered_by_flask_carries_the_headers_once() -> None:
    """The event-loop door hands a failed store to Flask's handlers (bridge.failed): the
    headers are added there once, not again by the WSGI side."""

    class Down(Exception):
        pass

    def fail(*args: object, **kwargs: object) -> None:
        raise Down()

    with MockServer(cors=True) as mock:
        mock.runtime.store.settle = fail  # type: ignore[method-assign]
        mock.app.register_error_handler(Down, lambda error: ("state down", 503))
        response = _send(mock, "GET", PATH, params=query(magic_number("2")))
    assert response.status_code == 503 and response.content == b"state down"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # "*, *" if sent twice
