"""The reliability tests' own mock: one per module, for the Hypothesis tests (a property
takes no per-test fixture). Every API answer they see goes through
:func:`tests.helpers.answers.check_answer`; tests with one scenario each take the plugin's
``juhe_mock``, reset for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server import MockServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One mock on the built-in defaults for a whole module (stopped at its end)."""
    with MockServer(seed=0) as mock:
        yield mock
