"""The contract, checked against whatever answers: the mock, any URL, or the live API.

Written once; ``--juhe-target mock|URL|live`` picks the server (see the ``juhe`` pytest
plugin). Every answer must keep the contract (``contract.validate``: strict for our mock,
tolerant for live) and the reference client must parse it to the same result or error.
Calls without the key run freely; every call that carries it goes through the run's spend
budget, which fails the test rather than overspend. The inputs come from the target:
against live no hash is anyone's number (``juhe_target.hashes()``: digests of the run's
seed); against the mock they are hashes of numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from client import JuheError, TransportError
from client.wire import parse_response
from contract import SUCCESS_CODE, scrub_key
from contract.conformance.canaries import Canary
from contract.conformance.probe import WRONG_KEY, Answer, judge
from contract.conformance.target import JuheTarget

#: The ``sized`` fixture (conftest): Hypothesis settings for this target, per property.
Sizing = Callable[..., settings]
METHODS = st.sampled_from(["POST", "GET"])
_REAL_KEY_SHAPE = re.compile(r"[0-9a-f]{32}")


def assert_keeps_contract(
    answer: Answer,
    target: JuheTarget,
    *,
    codes: tuple[int, ...],
    tenures: tuple[str, ...] | None = None,
    digest: str | None = None,
) -> None:
    """The answer keeps the contract, answers one of ``codes``, and the client agrees."""
    verdict = judge(answer, codes=codes, tenures=tenures, strict=target.strict, key=target.key)
    shown = scrub_key(answer.content[:300].decode("utf-8", "replace"), target.key)
    assert verdict.ok, (
        "the answer breaks the contract:\n  " + "\n  ".join(verdict.problems) + f"\n  got: {shown}"
    )
    assert_client_agrees(answer, digest or "0" * 64, target.key)


def assert_client_agrees(answer: Answer, digest: str, key: str | None = None) -> None:
    """The reference client reads the answer as the same result or the same error code."""
    assert answer.status is not None
    try:
        result = parse_response(answer.status, answer.content, digest, key=key)
    except TransportError as exc:
        raise AssertionError(f"the client rejects a contract-valid answer: {exc}") from None
    except JuheError as exc:
        assert exc.error_code == answer.error_code
        return
    assert answer.error_code == SUCCESS_CODE
    assert result.code.value == answer.code
    assert result.orderid == scrub_key(str(answer.body["result"].get("orderid", "")), key or "")


def wrong_keys(target: JuheTarget) -> st.SearchStrategy[str]:
    """Keys the target must refuse: for the mock any other key (it gets an allow-list);
    elsewhere only keys that cannot be real ones (a real key is 32 lower-case hex digits)."""
    text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
    if target.configurable:
        return text.filter(lambda key: key != target.key)
    return text.filter(lambda key: key != target.key and not _REAL_KEY_SHAPE.fullmatch(key))


def _needs_a_key_check(target: JuheTarget) -> None:
    if target.accepts_any_key:
        pytest.skip("not applicable: the target accepts every key (juhe-mock on its defaults)")


def test_valid_hashes_answer_a_success_or_no_record(juhe_target: JuheTarget, sized: Sizing) -> None:
    @sized(billable=True)
    @given(digest=juhe_target.hashes())
    def check(digest: str) -> None:
        answer = juhe_target.ask(mobile=digest)
        assert_keeps_contract(answer, juhe_target, codes=(SUCCESS_CODE, 234803), digest=digest)

    check()


def test_invalid_mobiles_answer_234802(juhe_target: JuheTarget, sized: Sizing) -> None:
    @sized()
    @given(mobile=juhe_target.invalid_mobiles(), method=METHODS)
    def check(mobile: str, method: str) -> None:
        answer = juhe_target.ask(mobile=mobile, method=method)
        assert answer.billed is not True, "a malformed mobile was billed"
        assert_keeps_contract(answer, juhe_target, codes=(234802,))

    check()


def test_missing_mobile_answers_234802(juhe_target: JuheTarget) -> None:
    answer = juhe_target.ask(mobile=None)
    assert_keeps_contract(answer, juhe_target, codes=(234802,))


def test_missing_or_empty_key_answers_10001_whatever_the_mobile(
    juhe_target: JuheTarget, sized: Sizing
) -> None:
    @sized()
    @given(
        mobile=st.one_of(juhe_target.invalid_mobiles(), juhe_target.hashes()),
        empty=st.booleans(),
        method=METHODS,
    )
    def check(mobile: str, empty: bool, method: str) -> None:
        answer = juhe_target.ask(mobile=mobile, key="" if empty else None, no_key=not empty)
        assert_keeps_contract(answer, juhe_target, codes=(10001,))

    check()


def test_wrong_keys_answer_10001_before_the_mobile_is_judged(
    juhe_target: JuheTarget, sized: Sizing
) -> None:
    _needs_a_key_check(juhe_target)
    if juhe_target.configurable:
        juhe_target.scenario({"keys": {"allow": [juhe_target.key]}})

    @sized()
    @given(key=wrong_keys(juhe_target), mobile=juhe_target.invalid_mobiles(), method=METHODS)
    def check(key: str, mobile: str, method: str) -> None:
        answer = juhe_target.ask(key=key, mobile=mobile, method=method)
        assert_keeps_contract(answer, juhe_target, codes=(10001,))

    check()


def test_wrong_key_with_a_valid_hash_answers_10001_unbilled(juhe_target: JuheTarget) -> None:
    _needs_a_key_check(juhe_target)
    if juhe_target.configurable:
        juhe_target.scenario({"keys": {"allow": [juhe_target.key]}})
    digest = "5" * 64
    answer = juhe_target.ask(key=WRONG_KEY, mobile=digest)  # not our key: nothing reserved
    assert_keeps_contract(answer, juhe_target, codes=(10001,), digest=digest)
    assert answer.billed is False


def test_canary_answers_its_known_code(juhe_target: JuheTarget, canary: Canary) -> None:
    answer = juhe_target.ask(mobile=canary.mobile_sha256)
    assert_keeps_contract(
        answer,
        juhe_target,
        codes=(canary.error_code,),
        tenures=canary.codes,
        digest=canary.mobile_sha256,
    )
