"""Public Hypothesis strategies for the API's inputs and answers, for your own tests.

Inputs: ``cucc_numbers`` (bare 11 digits on real China Unicom prefixes), ``spellings`` /
``spelled_numbers`` (the same number as people write it), ``mobile_hashes`` (what a client
sends), ``sha256_hex`` (any well-formed ``mobile``, either case), ``invalid_mobiles``
(anything the API must answer 234802), ``api_keys`` (32 hex, like Juhe's).

Against a live target every number's hash is a person (China's PIPL): ``run_digests(seed)``
draws well-formed hashes that are no one's number (digests of bytes drawn from a run's
seed), and ``invalid_mobiles(numbers=False)`` leaves out everything derived from a number.
Keep the number-shaped inputs for the mock.

Answers: ``orderids`` / ``live_orderids``, ``success_bodies``, ``system_error_bodies``,
``service_error_bodies``, ``error_bodies``, ``response_bodies`` (every kind; each passes
``contract.validate`` in strict mode) and ``mutated_bodies`` (a valid body broken by exactly
one named mutation; each fails strict validation), defined in ``contract.answers``.

Every strategy is a function returning a fresh ``SearchStrategy``::

    from hypothesis import given
    from contract import strategies as cs

    @given(cs.response_bodies())
    def test_my_parser_handles_every_answer(body): ...
"""

from __future__ import annotations

from hypothesis import strategies as st

from .answers import (
    MUTATIONS,
    MutatedBody,
    details,
    error_bodies,
    live_orderids,
    mutated_bodies,
    orderids,
    response_bodies,
    service_error_bodies,
    success_bodies,
    system_error_bodies,
)
from .numbers import CUCC_PREFIXES, is_mobile_sha256, is_phone_number, mobile_sha256, random_digest

__all__ = [
    "MUTATIONS",
    "MutatedBody",
    "api_keys",
    "cucc_numbers",
    "details",
    "error_bodies",
    "invalid_mobiles",
    "live_orderids",
    "mobile_hashes",
    "mutated_bodies",
    "orderids",
    "response_bodies",
    "run_digests",
    "service_error_bodies",
    "sha256_hex",
    "spelled_numbers",
    "spellings",
    "success_bodies",
    "system_error_bodies",
]

_DIGITS = "0123456789"
_HEX_LOWER = "0123456789abcdef"
_HEX_ANY = "0123456789abcdefABCDEF"


# --- inputs ---------------------------------------------------------------------------


def cucc_numbers() -> st.SearchStrategy[str]:
    """Bare 11-digit China Unicom numbers: a real prefix (``CUCC_PREFIXES``) + 8 digits."""
    return st.builds(
        str.__add__, st.sampled_from(CUCC_PREFIXES), st.text(_DIGITS, min_size=8, max_size=8)
    )


def spellings(number: str) -> st.SearchStrategy[str]:
    """``number`` (bare 11 digits) as people write it; each normalises back to ``number``.

    Country code ``+86``/``86``/``0086`` (or none, or ``(+86)``), digits grouped 3-4-4 or
    3-8 with spaces or dashes, and surrounding whitespace.
    """
    groupings = [(11,), (3, 4, 4), (3, 8), (3, 3, 5)]

    def spell(prefix: str, grouping: tuple[int, ...], sep: str, pad: str) -> str:
        parts, start = [], 0
        for size in grouping:
            parts.append(number[start : start + size])
            start += size
        return f"{pad}{prefix}{sep.join(parts)}{pad}"

    return st.builds(
        spell,
        st.sampled_from(["", "+86", "86", "0086", "+86 ", "86 ", "0086 ", "+86-", "(+86) "]),
        st.sampled_from(groupings),
        st.sampled_from(["", " ", "-"]),
        st.sampled_from(["", " ", "\t", "  "]),
    )


def spelled_numbers() -> st.SearchStrategy[tuple[str, str]]:
    """Pairs ``(bare, spelled)``: a China Unicom number and one of its spellings."""
    return cucc_numbers().flatmap(lambda n: spellings(n).map(lambda s: (n, s)))


def mobile_hashes() -> st.SearchStrategy[str]:
    """The lowercase sha256 of a China Unicom number: what a client puts in ``mobile``."""
    return cucc_numbers().map(mobile_sha256)


def run_digests(seed: int) -> st.SearchStrategy[str]:
    """Well-formed ``mobile`` values that are no one's number, for a live target.

    Each is :func:`contract.numbers.random_digest` of ``seed`` and a drawn index: the
    sha256 of bytes drawn from the seed, never of a number. A new seed per run gives new
    inputs every night even under a derandomized profile; the printed seed gives them back.
    """
    return st.integers(0, 2**63 - 1).map(lambda n: random_digest(seed, n))


def sha256_hex() -> st.SearchStrategy[str]:
    """Any well-formed ``mobile``: 64 hex characters, upper, lower or mixed case."""
    return st.text(_HEX_ANY, min_size=64, max_size=64)


def _replace_one(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def invalid_mobiles(
    *, numbers: bool = True, digests: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[str]:
    """``mobile`` values the API must refuse (234802); none passes ``is_mobile_sha256``.

    Hex of the wrong length, 64 characters with a non-hex one, plaintext numbers in any
    spelling, non-ASCII look-alikes (full-width digits, other scripts), the empty string
    and whitespace.

    :param numbers: False for a live target: no plaintext number, nothing derived from a
        number's hash, and nothing that happens to read as a number.
    :param digests: the well-formed hashes the look-alikes are made from (default: the
        hashes of numbers, or 64 drawn hex digits when ``numbers`` is False).
    """
    wrong_length = st.integers(0, 130).filter(lambda n: n != 64)
    hex_wrong_length = wrong_length.flatmap(lambda n: st.text(_HEX_ANY, min_size=n, max_size=n))
    non_hex = st.builds(
        _replace_one, sha256_hex(), st.integers(0, 63), st.sampled_from("gGxXzZ-_.!: +")
    )
    # Lone surrogates are left out: no request can carry them (they have no UTF-8 form).
    sendable = st.characters(min_codepoint=0x80, exclude_categories=["Cs"])
    non_ascii = st.builds(_replace_one, sha256_hex(), st.integers(0, 63), sendable)
    if digests is not None:
        hashes = digests
    else:
        hashes = mobile_hashes() if numbers else sha256_hex().map(str.lower)
    full_width = hashes.map(lambda h: h.translate({ord(c): ord(c) + 0xFEE0 for c in _HEX_LOWER}))
    whitespace = st.text(" \t\r\n\u3000\xa0", min_size=1, max_size=8)
    kinds = [hex_wrong_length, non_hex, non_ascii, full_width, st.just(""), whitespace]
    if numbers:
        kinds.append(st.one_of(cucc_numbers(), spelled_numbers().map(lambda pair: pair[1])))
        return st.one_of(kinds).filter(lambda value: not is_mobile_sha256(value))
    return st.one_of(kinds).filter(
        lambda value: not is_mobile_sha256(value) and not is_phone_number(value)
    )


def api_keys() -> st.SearchStrategy[str]:
    """API keys shaped like Juhe's: 32 lowercase hex characters."""
    return st.text(_HEX_LOWER, min_size=32, max_size=32)
