"""The result of a successful query: a tenure code with its month range, and the order id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from contract import TENURE_CODES, Violation
from contract import TenureCode as CatalogueEntry

__all__ = ["Tenure", "TenureResult"]


class _TenureEnum(str, Enum):
    """Behaviour shared by every tenure code; the members come from the catalogue below."""

    @property
    def entry(self) -> CatalogueEntry:
        """The catalogue's entry for this code."""
        return TENURE_CODES[self.value]

    @property
    def months_above(self) -> int | None:
        """The exclusive lower bound in months; ``None`` for 99."""
        return self.entry.months_above

    @property
    def months_up_to(self) -> int | None:
        """The inclusive upper bound in months; ``None`` for 5 (open-ended) and 99."""
        return self.entry.months_up_to

    @property
    def is_range(self) -> bool:
        """False for 99 (left the network or abnormal state), True for 1-5."""
        return self.entry.is_range

    @property
    def words(self) -> str:
        """The vendor document's words, e.g. ``"(6,12] 个月"``."""
        return self.entry.words

    @property
    def english(self) -> str:
        """The words in English."""
        return self.entry.english

    def contains(self, months: int) -> bool:
        """Whether a tenure of ``months`` full months falls in this code's range."""
        return self.entry.contains(months)


# The members are generated from the catalogue, so no second list of codes exists: the
# enum's value is the wire string ("3"), its name CODE_<wire string>. Type checkers see the
# shared base, which carries every property; look members up by value: ``Tenure("3")``.
if TYPE_CHECKING:
    Tenure = _TenureEnum
else:
    Tenure = _TenureEnum(
        "Tenure",
        {f"CODE_{code}": code for code in TENURE_CODES},
        module=__name__,
        qualname="Tenure",
    )


@dataclass(frozen=True)
class TenureResult:
    """A billed answer: how long the number has been on the network.

    ``orderid`` is Juhe's serial number, an opaque string (its form varies between
    products; empty when the answer had none). ``body`` is the decoded answer as received
    (the key scrubbed out of it), kept for audits and contract checks; it takes no part in
    equality or the repr. ``warnings`` are what the tolerant contract check found in a
    billed answer that was kept anyway (an orderid of another form, ``resultcode: "200"``,
    other wording, ...): empty for an answer that keeps the contract to the letter.
    """

    code: Tenure
    orderid: str
    mobile_sha256: str
    #: The exclusive lower bound in months (``(6,12]`` gives 6); ``None`` for 99.
    months_above: int | None = field(init=False)
    #: The inclusive upper bound in months; ``None`` for code 5 and for 99.
    months_up_to: int | None = field(init=False)
    reason: str = ""
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    warnings: tuple[Violation, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Derived from the code, stored so that repr() and dataclasses.asdict() show them.
        object.__setattr__(self, "months_above", self.code.months_above)
        object.__setattr__(self, "months_up_to", self.code.months_up_to)

    @property
    def in_network(self) -> bool:
        """False for 99: the number left the network before month T-1 or is abnormal."""
        return self.code.is_range
