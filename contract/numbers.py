"""Mainland mobile numbers: normalising the many spellings, and the sha256 the API takes.

Shared by the client (which hashes before anything leaves the process), the mock (whose
selectors accept a plain number) and the strategies.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "CUCC_PREFIXES",
    "is_mobile_sha256",
    "is_phone_number",
    "mobile_sha256",
    "normalize_mobile",
    "random_digest",
]

#: China Unicom's mobile number segments (3-digit prefixes), public numbering-plan facts.
CUCC_PREFIXES = (
    "130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175", "176",
    "185", "186", "196",
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s\-().]+")
_MAINLAND = re.compile(r"1[3-9][0-9]{9}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def normalize_mobile(phone: str) -> str:
    """The bare 11 digits of a mainland mobile number.

    Accepts ``"+86 130-0000-0003"``, ``"8613000000003"``, ``"0086 13000000003"`` and
    ``" 13000000003 "``; all give ``"13000000003"``.

    :raises ValueError: for anything that is not an 11-digit mainland mobile number. The
        message never repeats the input, which may be personal data.
    """
    if not isinstance(phone, str):
        raise ValueError("a phone number must be a string")
    digits = _SEPARATORS.sub("", phone.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not digits.isascii() or _MAINLAND.fullmatch(digits) is None:
        raise ValueError("not an 11-digit mainland mobile number")
    return digits


def mobile_sha256(phone: str) -> str:
    """The lowercase hex sha256 of the normalised number: what the API's ``mobile`` takes."""
    return hashlib.sha256(normalize_mobile(phone).encode("ascii")).hexdigest()


def is_mobile_sha256(value: str) -> bool:
    """Whether ``value`` has the form the API accepts: 64 hex characters, either case."""
    return isinstance(value, str) and value.isascii() and _SHA256.fullmatch(value) is not None


def is_phone_number(value: str) -> bool:
    """Whether ``value`` reads as a mainland mobile number in some spelling."""
    try:
        normalize_mobile(value)
    except ValueError:
        return False
    return True


def random_digest(seed: int, n: int) -> str:
    """The ``n``-th well-formed ``mobile`` of a run seeded with ``seed``: no one's number.

    The sha256 of bytes drawn from the seed, never of a number: what a request to a live
    target may carry, where every number's hash is a person (docs/live.md). The same seed
    gives the same digests, so a run's printed seed reproduces its inputs.
    """
    return hashlib.sha256(f"juhe-run:{seed}:{n}".encode()).hexdigest()
