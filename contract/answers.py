"""Hypothesis strategies for the API's answers, and for answers broken on purpose.

``orderids`` / ``live_orderids``, ``success_bodies``, ``system_error_bodies``,
``service_error_bodies``, ``error_bodies``, ``response_bodies`` (every kind; each passes
``contract.validate`` in strict mode) and ``mutated_bodies`` (a valid body broken by exactly
one named mutation; each fails strict validation). Public through ``contract.strategies``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from hypothesis import strategies as st

from .bodies import error_body, success_body
from .codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES, ErrorKind

__all__ = [
    "MUTATIONS",
    "MutatedBody",
    "details",
    "error_bodies",
    "live_orderids",
    "mutated_bodies",
    "orderids",
    "response_bodies",
    "service_error_bodies",
    "success_bodies",
    "system_error_bodies",
]

_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SYSTEM = [c for c, e in ERROR_CODES.items() if e.kind is ErrorKind.SYSTEM]
_SERVICE = [c for c, e in ERROR_CODES.items() if e.kind is ErrorKind.SERVICE]
# The orderid window: from the document's example year to far enough ahead for any clock.
_FIRST_ORDER = dt.datetime(2019, 1, 1)
_LAST_ORDER = dt.datetime(2099, 12, 31, 23, 59, 59)


def orderids() -> st.SearchStrategy[str]:
    """Strictly valid orderids: ``"J"`` + a real yyyyMMddHHmmss + exactly 4 digits."""
    return st.builds(
        lambda t, n: f"J{t:%Y%m%d%H%M%S}{n:04d}",
        st.datetimes(min_value=_FIRST_ORDER, max_value=_LAST_ORDER),
        st.integers(0, 9999),
    )


def live_orderids() -> st.SearchStrategy[str]:
    """Orderids as sister products send them: extra letters or digits after the 4 digits.

    Tolerant validation accepts them with a warning; strict validation refuses them.
    """
    return st.builds(str.__add__, orderids(), st.text(_ALNUM, min_size=1, max_size=8))


def details() -> st.SearchStrategy[str]:
    """The specific problem a 234802/234804 ``reason`` names after ``":"`` (never blank)."""
    return st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=20).filter(
        lambda d: bool(d.strip())
    )


def success_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Success answers: every tenure code with a strictly valid orderid."""
    return st.builds(success_body, st.sampled_from(list(TENURE_CODES)), orderids())


def system_error_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """System error answers (100xx) with the catalogue's reason and resultcode."""
    return st.sampled_from(_SYSTEM).map(error_body)


def service_error_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Service error answers (2348xx); 234802/234804 with the default or a drawn detail."""
    return st.builds(
        lambda code, detail: error_body(code, detail=detail),
        st.sampled_from(_SERVICE),
        st.none() | details(),
    )


def error_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Any error answer, system or service."""
    return st.one_of(system_error_bodies(), service_error_bodies())


def response_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Any contract-valid answer: success, system error or service error."""
    return st.one_of(success_bodies(), system_error_bodies(), service_error_bodies())


# --- mutations ----------------------------------------------------------------------------


class MutatedBody(NamedTuple):
    """A valid ``original`` broken into ``body`` by the mutation named ``mutation``."""

    mutation: str
    original: dict[str, Any]
    body: Any


_Draw = st.DrawFn

_NOT_AN_OBJECT = st.one_of(
    st.none(), st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3)
)
_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))


def _drop_key(draw: _Draw, body: dict[str, Any]) -> Any:
    del body[draw(st.sampled_from(sorted(body)))]
    return body


def _extra_key(draw: _Draw, body: dict[str, Any]) -> Any:
    key = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in body))
    body[key] = draw(_JSON_SCALARS)
    return body


def _error_code_type(draw: _Draw, body: dict[str, Any]) -> Any:
    code = body["error_code"]
    body["error_code"] = draw(st.sampled_from([str(code), float(code), None, [code], code == 0]))
    return body


def _error_code_unknown(draw: _Draw, body: dict[str, Any]) -> Any:
    known = set(ERROR_CODES) | {SUCCESS_CODE}
    body["error_code"] = draw(st.integers().filter(lambda c: c not in known))
    return body


def _reason_empty(draw: _Draw, body: dict[str, Any]) -> Any:
    body["reason"] = draw(st.sampled_from(["", " ", "\t", "\u3000"]))
    return body


def _reason_wording(draw: _Draw, body: dict[str, Any]) -> Any:
    # A prefix keeps any catalogue reason (with or without a detail) from matching.
    body["reason"] = draw(st.sampled_from(["※", "!", "Error: "])) + body["reason"]
    return body


def _reason_type(draw: _Draw, body: dict[str, Any]) -> Any:
    body["reason"] = draw(st.one_of(st.none(), st.integers(), st.just([body["reason"]])))
    return body


def _not_an_object(draw: _Draw, body: dict[str, Any]) -> Any:
    return draw(st.one_of(_NOT_AN_OBJECT, st.just(json.dumps(body)), st.just([body])))


def _tenure_code(draw: _Draw, body: dict[str, Any]) -> Any:
    bad = st.one_of(
        st.text(max_size=3).filter(lambda c: c not in TENURE_CODES),
        st.sampled_from([int(c) for c in TENURE_CODES]),
    )
    body["result"]["code"] = draw(bad)
    return body


def _orderid_format(draw: _Draw, body: dict[str, Any]) -> Any:
    good = body["result"]["orderid"]
    body["result"]["orderid"] = draw(
        st.sampled_from(
            [good[1:], "j" + good[1:], good[:-1], good + "X", good + "\n", int(good[1:]), ""]
        )
    )
    return body


def _orderid_date(draw: _Draw, body: dict[str, Any]) -> Any:
    good = body["result"]["orderid"]
    # (start, end, impossible value) within "J" + yyyyMMddHHmmss
    start, end, value = draw(
        st.sampled_from(
            [(5, 7, "13"), (5, 7, "00"), (7, 9, "32"), (7, 9, "00"), (9, 11, "24"),
             (11, 13, "60"), (13, 15, "60"), (5, 9, "0230"), (1, 5, "0000")]
        )
    )  # fmt: skip
    body["result"]["orderid"] = good[:start] + value + good[end:]
    return body


def _result_shape(draw: _Draw, body: dict[str, Any]) -> Any:
    if body["error_code"] == SUCCESS_CODE:
        body["result"] = draw(st.one_of(st.none(), st.just([]), st.just(""), st.just(0)))
    else:
        body["result"] = draw(
            st.one_of(st.just({}), success_bodies().map(lambda b: b["result"]), st.just([]))
        )
    return body


def _result_extra_key(draw: _Draw, body: dict[str, Any]) -> Any:
    body["result"][draw(st.sampled_from(["desc", "msg", "orderId", "code2"]))] = "x"
    return body


def _resultcode_mismatch(draw: _Draw, body: dict[str, Any]) -> Any:
    own = body["resultcode"]
    others = [ERROR_CODES[c].resultcode for c in _SYSTEM if ERROR_CODES[c].resultcode != own]
    body["resultcode"] = draw(st.sampled_from([*others, int(own), "", "200", None]))
    return body


def _resultcode_added(draw: _Draw, body: dict[str, Any]) -> Any:
    return {"resultcode": draw(st.sampled_from(["101", "200", "203", ""])), **body}


def _error_code_kind(draw: _Draw, body: dict[str, Any]) -> Any:
    # Another kind's code in this kind's shape: the resultcode rule and the reason break.
    body["error_code"] = draw(st.sampled_from(_SERVICE if "resultcode" in body else _SYSTEM))
    return body


_Mutation = Callable[[st.DrawFn, dict[str, Any]], Any]
_ANY_BODY: dict[str, _Mutation] = {
    "drop-key": _drop_key,
    "extra-key": _extra_key,
    "error_code-type": _error_code_type,
    "error_code-unknown": _error_code_unknown,
    "reason-empty": _reason_empty,
    "reason-wording": _reason_wording,
    "reason-type": _reason_type,
    "not-an-object": _not_an_object,
    "result-shape": _result_shape,
}
_SUCCESS_ONLY: dict[str, _Mutation] = {
    "tenure-code": _tenure_code,
    "orderid-format": _orderid_format,
    "orderid-date": _orderid_date,
    "result-extra-key": _result_extra_key,
}
_ERROR_ONLY: dict[str, _Mutation] = {"error_code-kind": _error_code_kind}
_SYSTEM_ONLY: dict[str, _Mutation] = {"resultcode-mismatch": _resultcode_mismatch}
_SERVICE_ONLY: dict[str, _Mutation] = {"resultcode-added": _resultcode_added}


def _mutations_for(body: dict[str, Any]) -> dict[str, _Mutation]:
    found = dict(_ANY_BODY)
    if body["error_code"] == SUCCESS_CODE:
        found.update(_SUCCESS_ONLY)
    else:
        found.update(_ERROR_ONLY)
        found.update(_SYSTEM_ONLY if "resultcode" in body else _SERVICE_ONLY)
    return found


#: Every mutation ``mutated_bodies`` can apply, by name.
MUTATIONS = tuple(
    sorted({**_ANY_BODY, **_SUCCESS_ONLY, **_ERROR_ONLY, **_SYSTEM_ONLY, **_SERVICE_ONLY})
)


@st.composite
def _mutated(draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]]) -> MutatedBody:
    original = draw(bodies)
    applicable = _mutations_for(original)
    name = draw(st.sampled_from(sorted(applicable)))
    broken = applicable[name](draw, copy.deepcopy(original))
    return MutatedBody(name, original, broken)


def mutated_bodies(
    bodies: st.SearchStrategy[dict[str, Any]] | None = None,
) -> st.SearchStrategy[MutatedBody]:
    """A valid body broken by one mutation (see ``MUTATIONS``); strict validation rejects it.

    :param bodies: the valid bodies to mutate; ``response_bodies()`` by default.
    """
    return _mutated(bodies if bodies is not None else response_bodies())
