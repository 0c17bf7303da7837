"""Schemathesis against the running mock, generated from ``contract/openapi.yaml``.

Every check Schemathesis has runs on every answer (no server error, status code, content
type, response schema, headers, unsupported methods → 405 with ``Allow``, positive data
accepted), plus :func:`answers_as_the_contract_says`, which validates each body with
``contract.validate(strict=True)`` and checks the error the sent parameters call for.

One setting departs from Schemathesis's defaults, on purpose:

- ``negative_data_rejection`` expects a 4xx for invalid input by default. This API answers
  invalid input with HTTP 200 and an error *body* (wire-facts: "200 for every business
  answer, errors included"), so 200 is listed as a rejecting status, and the rejection
  itself is checked where it is visible, in the body: a missing or empty ``key`` must be
  answered 10001 and a ``mobile`` that is not 64 hex characters 234802, whatever else the
  request holds (``answers_as_the_contract_says``). 405 (a method the API does not serve)
  and 413 (a body over the limit) are the two HTTP-level rejections the mock does make.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

import contract
from mock_server import MockServer

from ..helpers.answers import check_answer, first_values

OPENAPI = Path(contract.__file__).parent / "openapi.yaml"
API = "/mobile_online_sha256_cucc/query"

#: The shipped config (contract/schemathesis.toml: what `st run` uses; its checks are the
#: ones the module docstring explains), plus positive and negative data, bounded so the
#: module runs in a few seconds.
SHIPPED = Path(contract.__file__).parent / "schemathesis.toml"
CONFIG = SchemathesisConfig.from_str(
    SHIPPED.read_text(encoding="utf-8") + '\n[generation]\nmode = "all"\nmax-examples = 30\n'
)
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)


def _sent(response: Any) -> tuple[str, str, bytes, str | None]:
    request = response.request
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return request.method, urlsplit(request.url).query, body, request.headers.get("Content-Type")


def answers_as_the_contract_says(ctx: Any, response: Any, case: Any) -> bool | None:
    """A Schemathesis check: every 200 answer is contract-valid (strict) and owes the error
    that the parameters on the wire call for."""
    if response.status_code != 200:
        return None
    method, query, body, content_type = _sent(response)
    params = first_values(method, query, body, content_type)
    check_answer(response.status_code, _content_type(response), response.content, params)
    return True


def _content_type(response: Any) -> str | None:
    for name, values in response.headers.items():
        if name.lower() == "content-type":
            return str(values[0])
    return None


@schema.parametrize()
def test_openapi_operations_conform(case: Any, server: MockServer) -> None:
    case.call_and_validate(base_url=server.url, additional_checks=[answers_as_the_contract_says])


def test_openapi_checks_catch_a_nonconforming_answer(server: MockServer) -> None:
    # The checks above must be able to fail: a raw answer with a wrong shape is caught.
    raw = {
        "fault": "raw",
        "status": 200,
        "content_type": contract.JSON_CONTENT_TYPE,
        "json": {"reason": "成功", "result": {"code": "7"}, "error_code": 0},
    }
    server.configure({"rules": [{"then": raw}]})
    try:
        case = schema[API]["GET"].Case(query={"key": "k", "mobile": "a" * 64})
        with pytest.raises(FailureGroup) as caught:
            case.call_and_validate(base_url=server.url)
        assert "Response violates schema" in str(caught.value.exceptions[0])
        response = requests.get(
            server.url + API, params={"key": "k", "mobile": "a" * 64}, timeout=5
        )
        with pytest.raises(AssertionError):
            answers_as_the_contract_says(None, _Wrapped(response), case)
    finally:
        server.reset()


def test_jsonp_answer_has_the_documented_content_type(server: MockServer) -> None:
    params = {"key": "k", "mobile": "a" * 64, "callback": "jQuery3_cb.done"}
    response = requests.get(server.url + API, params=params, timeout=5)
    assert response.headers["Content-Type"] == contract.JSONP_CONTENT_TYPE
    check_answer(response.status_code, response.headers["Content-Type"], response.content, params)


class _Wrapped:
    """A ``requests.Response`` seen the way Schemathesis hands it to a check."""

    def __init__(self, response: requests.Response) -> None:
        self.request = response.request
        self.status_code = response.status_code
        self.content = response.content
        self.headers = {k: [v] for k, v in response.headers.items()}
