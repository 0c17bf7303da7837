"""Magic test numbers: ``"130"`` + a code zero-padded to 8 digits answers with that code.

The mock honours them with no configuration at all, so a test reaches every outcome:
``13000000003`` gives tenure ``"3"``, ``13000000099`` gives ``"99"``, ``13000234801`` gives
234801 and ``13000010012`` gives 10012.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES
from .numbers import mobile_sha256

__all__ = ["MAGIC_BY_HASH", "MAGIC_NUMBERS", "MagicNumber", "magic_number"]


def magic_number(code: str | int) -> str:
    """The magic number for a tenure code (``"3"``) or an error code (``234801``)."""
    return f"130{int(code):08d}"


@dataclass(frozen=True)
class MagicNumber:
    """A magic number, its hash, and the answer the mock gives for it."""

    phone: str
    sha256: str
    error_code: int
    tenure: str | None

    @property
    def code(self) -> str | int:
        """The tenure code for a success, else the error code."""
        return self.tenure if self.tenure is not None else self.error_code


def _build() -> tuple[MagicNumber, ...]:
    rows = [
        MagicNumber(magic_number(t), mobile_sha256(magic_number(t)), SUCCESS_CODE, t)
        for t in TENURE_CODES
    ]
    rows += [
        MagicNumber(magic_number(e), mobile_sha256(magic_number(e)), e, None) for e in ERROR_CODES
    ]
    return tuple(rows)


#: Every magic number, tenure codes first, by phone number.
MAGIC_NUMBERS: Mapping[str, MagicNumber] = MappingProxyType({m.phone: m for m in _build()})
#: The same, by lowercase sha256: what the mock looks up.
MAGIC_BY_HASH: Mapping[str, MagicNumber] = MappingProxyType(
    {m.sha256: m for m in MAGIC_NUMBERS.values()}
)
