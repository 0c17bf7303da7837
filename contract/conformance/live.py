"""The Hypothesis profile and the inputs for a live target.

Against live every example is a request to the vendor: a few examples, no shrinking and no
replay of saved examples (each would be one more call), no deadline (the vendor is far
away), and a property whose calls might be billed runs at most as many examples as the
budget has units left. The profile is derandomized: the run's seed alone (printed, and set
with ``--juhe-seed``) varies the inputs from night to night, so one seed reproduces a run.
The inputs look up nobody: well-formed hashes are digests of bytes drawn from the seed,
and no malformed input is derived from a number (``contract.strategies``).
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from ..magic import MAGIC_BY_HASH
from ..strategies import invalid_mobiles, mobile_hashes, run_digests
from .budget import Budget

__all__ = [
    "LIVE_BILLABLE_EXAMPLES",
    "LIVE_FREE_EXAMPLES",
    "LIVE_PROFILE",
    "hashes_for",
    "invalid_mobiles_for",
    "live_settings",
]

#: Examples per property against live: every example is a request to the vendor.
LIVE_FREE_EXAMPLES = 5
LIVE_BILLABLE_EXAMPLES = 3
LIVE_PROFILE = settings(
    phases=(Phase.explicit, Phase.generate),
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def live_settings(budget: Budget, *, billable: bool, examples: int | None = None) -> settings:
    """The live profile for one property, sized to what ``budget`` has left.

    A property whose calls might be billed runs at most as many examples as the budget has
    units uncommitted, and at least one: with nothing left, that one call fails closed,
    naming the budget, instead of the property passing without having asked anything.
    """
    count = examples or (LIVE_BILLABLE_EXAMPLES if billable else LIVE_FREE_EXAMPLES)
    if billable and budget.limit is not None:
        left = budget.limit - budget.usage().committed
        count = max(1, min(count, left))
    return settings(LIVE_PROFILE, max_examples=count)


def hashes_for(live: bool, seed: int) -> st.SearchStrategy[str]:
    """Well-formed ``mobile`` values: no one's (seeded digests) for live; for the mock the
    hashes of numbers, minus its magic ones (those answer chosen codes by design)."""
    if live:
        return run_digests(seed)
    return mobile_hashes().filter(lambda digest: digest not in MAGIC_BY_HASH)


def invalid_mobiles_for(live: bool, seed: int) -> st.SearchStrategy[str]:
    """Malformed ``mobile`` values; for live none derived from or reading as a number."""
    if live:
        return invalid_mobiles(numbers=False, digests=run_digests(seed))
    return invalid_mobiles()
