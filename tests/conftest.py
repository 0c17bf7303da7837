"""Shared test set-up: Hypothesis profiles, and the helpers' plugins (tests/helpers/).

``dev`` (the default) runs a modest number of examples; ``ci`` (selected when ``CI`` is set
to a true value, or with ``HYPOTHESIS_PROFILE=ci``) runs a few more with a fixed seed, prints
what is needed to reproduce a failure and has no deadline, since CI machines are shared and
slow.
Both stay small: the whole suite runs on two cores.

The plugins: the session-wide leak check (no key and no plaintext number in any log record,
journal entry or report of the code under test), the markers kept true, and the fixtures
``redis_server``, ``redis_url`` and ``stand_in`` for every test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from .helpers.processes import in_ci

pytest_plugins = [
    "tests.helpers.leaks",
    "tests.helpers.markers",
    "tests.helpers.redis",
    "tests.helpers.standin",
]

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
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "dev"))
