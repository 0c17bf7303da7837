"""The contract suite's set-up: canaries per target, and Hypothesis sized to the target.

Against the mock and a URL the suite runs the loaded Hypothesis profile (``dev``/``ci``),
or ``--juhe-examples`` per property. Against live every example costs money or quota, so
the properties run a few examples, with no shrinking and no replay of saved examples (each
would be one more call) and no deadline (the vendor is far away); a property whose calls
might be billed runs at most as many examples as the budget has units left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from contract.canaries import Canary, load_canaries
from mock_server.pytest_plugin import load_canaries_option
from mock_server.testing import JuheTarget

ROOT = Path(__file__).resolve().parents[3]
#: Known answers of the mock (its magic numbers): the default for ``--juhe-target mock``.
SAMPLE_CANARIES = ROOT / "fixtures" / "canaries.json"
LIVE_FREE_EXAMPLES = 5
LIVE_BILLABLE_EXAMPLES = 3


def _canaries(config: pytest.Config) -> list[Canary] | None:
    given = load_canaries_option(config)
    if given is not None:
        return given
    if config.getoption("juhe_target") == "mock":
        return load_canaries(SAMPLE_CANARIES)
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "canary" not in metafunc.fixturenames:
        return
    canaries = _canaries(metafunc.config)
    if canaries is None:
        why = "no canaries for this target: give --juhe-canaries FILE or JUHE_CANARIES"
        params: list[Any] = [pytest.param(None, marks=pytest.mark.skip(reason=why), id="none")]
    else:
        params = [pytest.param(c, id=c.name) for c in canaries]
    metafunc.parametrize("canary", params)


class Sizing:
    """Hypothesis settings for one property against this run's target."""

    def __init__(self, target: JuheTarget, examples: int | None) -> None:
        self.target = target
        self.examples = examples

    def __call__(self, *, billable: bool = False) -> settings:
        if self.target.kind != "live":
            if self.examples is None:
                return settings(deadline=None)
            return settings(max_examples=self.examples, deadline=None)
        count = self.examples or (LIVE_BILLABLE_EXAMPLES if billable else LIVE_FREE_EXAMPLES)
        if billable and self.target.budget.limit is not None:
            left = self.target.budget.limit - self.target.budget.usage().committed
            # At least one: with nothing left, that one call fails closed, naming the budget.
            count = max(1, min(count, left))
        return settings(
            max_examples=count,
            phases=(Phase.explicit, Phase.generate),
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )


@pytest.fixture
def sized(juhe_target: JuheTarget, pytestconfig: pytest.Config) -> Sizing:
    return Sizing(juhe_target, pytestconfig.getoption("juhe_examples"))
