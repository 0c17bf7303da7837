"""contract.keys: one digest, one fingerprint and one scrubber for the whole project."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

import contract
from contract.keys import KEY_PLACEHOLDER, key_digest, key_fingerprint, scrub_key

KEY = "k3y/0123456789+abcdef 0123456789"


def test_digest_is_the_full_sha256_hex() -> None:
    assert key_digest("demo-key") == hashlib.sha256(b"demo-key").hexdigest()


def test_fingerprint_is_the_first_8_hex_of_the_digest() -> None:
    assert key_fingerprint("demo-key") == key_digest("demo-key")[:8]
    assert re.fullmatch("[0-9a-f]{8}", key_fingerprint(KEY))


def test_every_key_has_a_digest_even_with_lone_surrogates() -> None:
    # A key read from a broken query string can hold one; the mock must still journal it.
    assert re.fullmatch("[0-9a-f]{64}", key_digest("\ud800"))
    assert key_fingerprint("\ud800") != key_fingerprint("\ud801")


def test_contract_exports_the_key_helpers() -> None:
    assert contract.key_fingerprint is key_fingerprint
    assert contract.key_digest is key_digest
    assert contract.scrub_key is scrub_key
    assert contract.KEY_PLACEHOLDER == KEY_PLACEHOLDER == "<key>"


@pytest.mark.parametrize(
    "spelling",
    [KEY, "k3y%2F0123456789%2Babcdef+0123456789", "k3y%2F0123456789%2Babcdef%200123456789"],
    ids=["as-given", "form-encoded", "percent-encoded"],
)
def test_scrub_key_replaces_every_spelling(spelling: str) -> None:
    assert (
        scrub_key(f"failed: /q?key={spelling}&mobile=ab", KEY) == "failed: /q?key=<key>&mobile=ab"
    )


@pytest.mark.parametrize(
    "spelling",
    [
        quote_plus(KEY),
        quote(KEY, safe=""),
        quote(KEY),  # a URL path keeps "/"
        quote(KEY, safe="").lower(),  # a server may write lower-case escapes
        "k3y%2f0123456789%2Babcdef%200123456789",  # or mix them
        "%6b%33%79/0123456789+abcdef 0123456789",  # unreserved characters escaped too
        json.dumps(KEY)[1:-1].replace("/", "\\/"),  # PHP's json_encode escapes "/"
        json.dumps("é" + KEY)[1:-1],  # \u00e9
        "\\u00E9" + KEY,  # upper-case hex in a JSON escape
    ],
    ids=["quote_plus", "quote-safe-none", "quote", "lower-case", "mixed-case", "unreserved",
         "json-slash", "json-u", "json-u-upper"],
)  # fmt: skip
def test_scrub_key_replaces_url_form_and_json_spellings(spelling: str) -> None:
    key = "é" + KEY if spelling.startswith("\\u00") else KEY
    assert scrub_key(f"[{spelling}]", key) == "[<key>]"


def test_scrub_key_keeps_other_text() -> None:
    text = "a different key: K3Y/0123456789+ABCDEF 0123456789"
    assert scrub_key(text, KEY) == text
    assert scrub_key("abc", ".") == "abc"  # the key is text, not a pattern


def test_an_empty_key_has_nothing_to_hide() -> None:
    assert scrub_key("some text", "") == "some text"


def test_scrub_key_does_not_scrub_its_own_placeholder() -> None:
    # A key that is part of "<key>" must not turn one placeholder into nested ones.
    assert scrub_key("key=e", "e") == "k<key>y=<key>"
    assert scrub_key("<key>", "<key>") == "<key>"


def _segments_hold(segments: list[str], key: str) -> bool:
    spellings = {key, quote_plus(key, errors="surrogatepass"),
                 quote(key, safe="", errors="surrogatepass")}  # fmt: skip
    return any(s in segment for segment in segments for s in spellings)


@given(st.text(), st.text(min_size=1), st.sampled_from(["plain", "plus", "percent", "lower"]))
def test_scrub_key_never_raises_and_leaves_no_spelling(text: str, key: str, how: str) -> None:
    spelled = {
        "plain": key,
        "plus": quote_plus(key, errors="surrogatepass"),
        "percent": quote(key, safe="", errors="surrogatepass"),
        "lower": re.sub(
            "%..", lambda m: m.group().lower(), quote(key, safe="", errors="surrogatepass")
        ),
    }[how]
    scrubbed = scrub_key(f"{text}{spelled}{text}", key)
    assert KEY_PLACEHOLDER in scrubbed
    # Between placeholders nothing is left that spells the key.
    assert not _segments_hold(scrubbed.split(KEY_PLACEHOLDER), key)


@given(st.text(), st.text())
def test_scrub_key_never_raises_on_any_text(text: str, key: str) -> None:
    assert isinstance(scrub_key(text, key), str)
