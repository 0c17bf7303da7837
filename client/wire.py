"""From an HTTP answer to a :class:`TenureResult` or an exception; no network here.

The API answers HTTP 200 for every business answer, errors included, so the body decides.
A body is judged leniently (``contract.validate_report(body, strict=False)``), as a live
answer must be: its ``reason`` wording drifts, only ``error_code`` and the shape are
stable. A success whose ``result.code`` is a tenure code is a billed answer and is always
returned, with whatever the check found on ``TenureResult.warnings``. Given the ``key``
the request carried, every text and the kept body are scrubbed of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from contract import SUCCESS_CODE, TENURE_CODES, validate_report
from contract.keys import scrub_json, scrub_key

from .errors import HTTPStatusError, InvalidResponseError, error_for
from .models import Tenure, TenureResult

__all__ = ["decode_body", "parse_body", "parse_response"]


def decode_body(content: bytes) -> Any:
    """The JSON in ``content``; :raises InvalidResponseError: if it is not JSON."""
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidResponseError("the answer is not JSON", answered=True) from None


def _unchanged(text: str) -> str:
    return text


def parse_response(
    status: int,
    content: bytes,
    mobile_sha256: str,
    *,
    scrub: Callable[[str], str] = _unchanged,
    key: str | None = None,
) -> TenureResult:
    """Judge one HTTP answer: its status, then its body.

    :param key: the key the request carried: scrubbed from everything kept or raised.
    :raises HTTPStatusError: for any status but 200; a 5xx counts as no answer at all, and
        the request may have been billed (``sent``).
    :raises InvalidResponseError: for a body that is not JSON or breaks the contract.
    :raises JuheError: (a family subclass) for an error answer.
    """
    if status != 200:
        raise HTTPStatusError(
            f"HTTP {status} instead of an API answer", answered=status < 500, status=status
        )
    return parse_body(decode_body(content), mobile_sha256, scrub=scrub, key=key)


def parse_body(
    body: Any,
    mobile_sha256: str,
    *,
    scrub: Callable[[str], str] = _unchanged,
    key: str | None = None,
) -> TenureResult:
    """A decoded body as a result, or the exception it stands for.

    :param scrub: applied to the ``reason`` before it goes into an exception, so that a
        server echoing the key cannot put it into a message.
    :param key: the key sent: the kept body and every message are scrubbed of it, and an
        answer echoing it gets a ``key-echo`` warning.
    """
    if not isinstance(body, Mapping):
        raise InvalidResponseError("the answer is not a JSON object", answered=True)
    report = validate_report(dict(body), strict=False, key=key)
    violations = report.violations
    if key:
        original = scrub
        body = scrub_json(dict(body), key)

        def scrub(text: str) -> str:
            return original(scrub_key(text, key))

    code = body.get("error_code")
    reason = body.get("reason")
    # An error answer is raised as one even if it breaks the contract somewhere else (an
    # unknown code, a missing resultcode): the code is what a caller acts on.
    if type(code) is int and code != SUCCESS_CODE and isinstance(reason, str):
        raise error_for(code, scrub(reason), body, violations=violations)
    result = body.get("result")
    # A success with a valid tenure code was billed: it is returned whatever else drifted.
    if (
        type(code) is int
        and code == SUCCESS_CODE
        and isinstance(result, Mapping)
        and isinstance(result.get("code"), str)
        and result["code"] in TENURE_CODES
    ):
        orderid = result.get("orderid")
        if not isinstance(orderid, str):  # opaque: missing is "", another type its text
            orderid = "" if orderid is None else str(orderid)
        return TenureResult(
            code=Tenure(result["code"]),
            orderid=orderid,
            mobile_sha256=mobile_sha256,
            reason=reason if isinstance(reason, str) else "",
            body=body,
            warnings=(*violations, *report.warnings),
        )
    raise InvalidResponseError(
        "the answer breaks the contract", body, answered=True, violations=violations
    )
