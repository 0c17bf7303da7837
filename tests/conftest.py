"""Shared test set-up: Hypothesis profiles.

``dev`` (the default) runs a modest number of examples; ``ci`` (selected when ``CI`` is set
to a true value, or with ``HYPOTHESIS_PROFILE=ci``) runs a few more with a fixed seed, prints
what is needed to reproduce a failure and has no deadline, since CI machines are shared and
slow.
Both stay small: the whole suite runs on two cores.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=40)
# ci is derandomized: a CI run is a gate, and a gate must give the same verdict for the same
# commit. Exploration happens in every dev run, which draws new examples each time.
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _profile() -> str:
    explicit = os.environ.get("HYPOTHESIS_PROFILE")
    if explicit:
        return explicit
    ci = os.environ.get("CI", "").strip().lower()
    return "ci" if ci in {"1", "true", "yes"} else "dev"


settings.load_profile(_profile())

# The session-wide leak check: no key and no plaintext number in any log record, journal
# entry or report of the code under test (tests/reliability/leaks.py). Hooks only.
from .reliability.leaks import (  # noqa: E402
    pytest_configure,
    pytest_runtest_logreport,
    pytest_runtest_setup,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_unconfigure,
)

__all__ = [
    "pytest_configure",
    "pytest_runtest_logreport",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]
