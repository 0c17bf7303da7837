"""The contract suite's set-up: canaries per target, and Hypothesis sized to the target.

Against the mock and a URL the suite runs the loaded Hypothesis profile (``dev``/``ci``),
or ``--juhe-examples`` per property. Against live every example costs money or quota, so
the properties run the live profile (``contract.conformance.target.live_settings``): a few
examples, no shrinking and no replay of saved examples (each would be one more call), no
deadline (the vendor is far away); a property whose calls might be billed runs at most as
many examples as the budget has units left.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from contract.conformance.canaries import Canary, load_canaries
from contract.conformance.target import JuheTarget
from mock_server.pytest_plugin import load_canaries_option

from ....helpers.paths import SAMPLE_CANARIES


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


@pytest.fixture
def sized(juhe_target: JuheTarget, pytestconfig: pytest.Config) -> Callable[..., settings]:
    """``sized(billable=...)``: the Hypothesis settings of one property for this target."""
    return functools.partial(juhe_target.sized, examples=pytestconfig.getoption("juhe_examples"))
