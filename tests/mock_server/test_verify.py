"""Request verification (mock_server.verify) and the journal fields it reads.

The journal says how each request was sent (path, where the key came from, the parameter
names, the body's media type) without a key or a number, the same through both doors; the
verification helpers match by fingerprint and hash and fail with a readable list of what
was received, never showing a key or a number.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256
from contract.keys import key_fingerprint
from mock_server.testing import JuheMock
from mock_server.verify import Criteria, assert_called, assert_not_called, matching

from ..helpers.answers import fetch
from ..helpers.leaks import SESSION

KEY = "verify-key-7f3a9c21d0"
PHONE = "13812345678"
HASH = mobile_sha256(PHONE)


def _entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "method": "POST", "path": PATH, "key": key_fingerprint(KEY), "key_from": "form",
        "mobile": HASH, "params": ["key", "mobile"],
        "content_type": "application/x-www-form-urlencoded",
        "outcome": {"error_code": 0, "code": "3", "fault": None},
    }  # fmt: skip
    entry.update(fields)
    return entry


# --- the journal's new fields -----------------------------------------------------------


def _last(mock: JuheMock) -> dict[str, Any]:
    return mock.requests[-1]


def test_journal_says_how_a_get_was_sent(juhe_mock: JuheMock) -> None:
    fetch(juhe_mock, {"key": KEY, "mobile": HASH, "callback": ""})
    entry = _last(juhe_mock)
    assert (entry["path"], entry["method"], entry["key_from"]) == (PATH, "GET", "query")
    assert entry["params"] == ["key", "mobile", "callback"]
    assert entry["content_type"] is None
    assert entry["key"] == key_fingerprint(KEY) and entry["mobile"] == HASH


def test_journal_says_how_a_form_post_was_sent(juhe_mock: JuheMock) -> None:
    fetch(juhe_mock, {"key": KEY, "mobile": HASH}, method="POST")
    entry = _last(juhe_mock)
    assert (entry["method"], entry["key_from"]) == ("POST", "form")
    assert entry["params"] == ["key", "mobile"]
    assert entry["content_type"] == "application/x-www-form-urlencoded"


def test_a_key_in_the_query_of_a_post_is_from_the_query(juhe_mock: JuheMock) -> None:
    url = juhe_mock.url + PATH + "?key=" + KEY
    requests.post(url, data={"mobile": HASH, "key": "ignored-second"}, timeout=10)
    entry = _last(juhe_mock)
    assert entry["key_from"] == "query" and entry["key"] == key_fingerprint(KEY)
    assert entry["params"] == ["key", "mobile"]


def test_multipart_is_a_form_and_no_key_is_absent(juhe_mock: JuheMock) -> None:
    files = {"key": (None, KEY), "mobile": (None, HASH)}
    requests.post(juhe_mock.url + PATH, files=files, timeout=10)
    assert _last(juhe_mock)["key_from"] == "form"
    assert _last(juhe_mock)["content_type"] == "multipart/form-data"
    fetch(juhe_mock, {"mobile": HASH})
    assert (_last(juhe_mock)["key_from"], _last(juhe_mock)["key"]) == ("absent", None)


def test_parameter_names_that_could_carry_a_key_or_number_are_not_shown(
    juhe_mock: JuheMock,
) -> None:
    query = f"key={KEY}&mobile={HASH}&{PHONE}=1&x{KEY}y=2&lang=zh&" + "&".join(
        f"p_{chr(97 + i)}=1" for i in range(20)
    )
    requests.get(juhe_mock.url + PATH + "?" + query, timeout=10)
    names = _last(juhe_mock)["params"]
    assert names[:5] == ["key", "mobile", "<other>", "<other>", "lang"]
    assert len(names) == 17 and names[-1] == "<9 more>"
    assert PHONE not in str(names) and KEY not in str(names)


# --- matching -----------------------------------------------------------------------------


def test_key_is_matched_by_fingerprint_and_mobile_by_hash() -> None:
    entries = [_entry(), _entry(key=key_fingerprint("other"), mobile=None)]
    assert matching(entries, Criteria.of(key=KEY)) == [entries[0]]
    for spelling in (PHONE, "+86 138-1234-5678", HASH, HASH.upper()):
        assert matching(entries, Criteria.of(mobile=spelling)) == [entries[0]]
    assert matching(entries, Criteria.of()) == entries


def test_code_is_an_error_code_or_a_tenure_code() -> None:
    ok, quota = _entry(), _entry(outcome={"error_code": 10012, "code": None, "fault": None})
    entries = [ok, quota]
    assert matching(entries, Criteria.of(code=0)) == [ok]
    assert matching(entries, Criteria.of(code="3")) == [ok]
    assert matching(entries, Criteria.of(code=10012)) == [quota]
    assert matching(entries, Criteria.of(code="5")) == []


def test_method_and_key_source() -> None:
    entries = [_entry(), _entry(method="GET", key_from="query")]
    assert matching(entries, Criteria.of(method="get")) == [entries[1]]
    assert matching(entries, Criteria.of(key_from="form")) == [entries[0]]


def test_times_none_means_at_least_once_and_a_number_exactly() -> None:
    entries = [_entry(), _entry()]
    assert len(assert_called(entries, Criteria.of(key=KEY))) == 2
    assert_called(entries, Criteria.of(key=KEY), times=2)
    with pytest.raises(AssertionError, match=r"expected 1 call\(s\) .*got 2 \(of 2 received\)"):
        assert_called(entries, Criteria.of(key=KEY), times=1)
    with pytest.raises(AssertionError, match="expected at least 1 call"):
        assert_called([], Criteria.of())
    with pytest.raises(AssertionError, match="the mock received no request"):
        assert_called([], Criteria.of(), times=1)
    assert_not_called(entries, Criteria.of(method="GET"))
    with pytest.raises(AssertionError, match=r"expected 0 call\(s\)"):
        assert_not_called(entries, Criteria.of(method="POST"))


def test_failure_lists_what_was_received_with_what_differs() -> None:
    other = mobile_sha256("13900000000")
    entries = [_entry(), _entry(method="GET", key_from="query", mobile=other)]
    with pytest.raises(AssertionError) as caught:
        assert_called(entries, Criteria.of(key=KEY, mobile=PHONE, method="GET"))
    message = str(caught.value)
    SESSION.saw("assert_called failure", message)
    lines = message.splitlines()
    assert lines[0] == (
        f"expected at least 1 call matching key={key_fingerprint(KEY)} "
        f"mobile={HASH[:12]}… method=GET, got 0 (of 2 received)"
    )
    assert lines[1].startswith(f"  #1 POST key={key_fingerprint(KEY)} (form) mobile={HASH[:12]}…")
    assert lines[1].endswith("-> 0 (code '3')  [differs: method]")
    assert lines[2].endswith("[differs: mobile]")
    assert KEY not in message and PHONE not in message and HASH not in message


def test_failure_shows_the_newest_requests_only() -> None:
    entries = [_entry() for _ in range(25)]
    with pytest.raises(AssertionError) as caught:
        assert_called(entries, Criteria.of(), times=3)
    lines = str(caught.value).splitlines()
    assert lines[1] == "  ... 5 older request(s) not shown"
    assert lines[2].startswith("  #6 ") and lines[-1].startswith("  #25 ")
    assert lines[-1].endswith("[matches]")


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"mobile": "1381234567"}, "give a phone number or its sha256"),
        ({"key_from": "header"}, "'query', 'form' or 'absent'"),
        ({"code": True}, "an error_code"),
    ],
)
def test_bad_criteria_are_refused_without_repeating_them(
    criteria: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        Criteria.of(**criteria)
    assert "1381234567" not in str(caught.value)


def test_times_must_be_a_count() -> None:
    with pytest.raises(ValueError, match="times="):
        assert_called([], Criteria.of(), times=-1)


# --- on the fixture's handle -------------------------------------------------------------


def test_the_fixture_handle_verifies_its_own_journal(juhe_mock: Any) -> None:
    juhe_mock.scenario("quota-exhausted")
    requests.post(juhe_mock.endpoint, data={"key": KEY, "mobile": HASH}, timeout=10)
    requests.get(juhe_mock.endpoint, params={"key": KEY, "mobile": magic_number("3")}, timeout=10)
    found = juhe_mock.assert_called(times=1, key=KEY, mobile=PHONE, method="POST", code=10012)
    assert found[0]["key_from"] == "form"
    juhe_mock.assert_called(times=1, method="GET", code=234802)  # a plaintext number
    juhe_mock.assert_not_called(code=0)
    assert len(juhe_mock.calls(key=KEY)) == 2
    with pytest.raises(AssertionError, match=r"\[differs: code\]"):
        juhe_mock.assert_called(code=0)
