"""pytest plugin ``juhe`` (entry point ``pytest11``): the mock as fixtures, any target, a budget.

Fixtures:

* ``juhe_mock_server`` (session): one in-process :class:`~mock_server.MockServer`, started
  on first use, stopped at the end of the run.
* ``juhe_mock``: that server reset for one test, as a :class:`~mock_server.testing.JuheMock`
  (``.url``, ``.scenario(doc)``, ``.requests``, ``.usage``).
* ``juhe_target``: a :class:`~contract.conformance.target.JuheTarget` for ``--juhe-target``:
  ``mock`` (default: the in-process mock), an http(s) URL (any running server) or ``live``
  (the vendor; needs ``--juhe-key`` or ``JUHE_KEY``). Every request it sends passes the
  run's spend budget; a call the budget refuses fails the test, naming the budget.
* ``juhe_canaries``: the known answers of ``--juhe-canaries FILE`` / ``JUHE_CANARIES``
  (a path or the JSON itself), or None.

``--juhe-budget N``: the most billable calls the whole run may make through
``juhe_target``; default 0 against live, no limit for the mock and a URL (nothing bills
there; give one to rehearse a live run). The run ends with one summary line: calls made,
billable calls and, for the mock, what the run would have cost.

Unused, the plugin costs nothing: it imports the mock server only when a fixture asks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contract.conformance.canaries import Canary
    from contract.conformance.target import JuheTarget, RunTally, TargetSpec
    from mock_server import MockServer
    from mock_server.testing import JuheMock

_TALLY: pytest.StashKey[RunTally] = pytest.StashKey()
_SPEC: pytest.StashKey[TargetSpec] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("juhe", "Juhe tenure API: mock, contract target and spend budget")
    group.addoption(
        "--juhe-target", default="mock", metavar="mock|URL|live",
        help="where juhe_target sends requests (default: the in-process mock)",
    )  # fmt: skip
    group.addoption("--juhe-key", default=None, help="the API key (better: JUHE_KEY)")
    group.addoption(
        "--juhe-budget", type=int, default=None, metavar="N",
        help="most billable calls the run may make (default: 0 for live, no limit otherwise)",
    )  # fmt: skip
    group.addoption(
        "--juhe-canaries", default=None, metavar="FILE",
        help="known answers for semantic drift (or JUHE_CANARIES: a path or the JSON)",
    )  # fmt: skip
    group.addoption(
        "--juhe-examples", type=int, default=None, metavar="N",
        help="Hypothesis examples per contract property (default: the profile's; live: few)",
    )  # fmt: skip
    group.addoption(
        "--juhe-strict", action="store_true",
        help="judge a URL target as strictly as our own mock (default: tolerant, as live)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("juhe_target")
    budget = config.getoption("juhe_budget")
    if target == "mock" and budget is None:
        return  # the common case: nothing to check, nothing to import
    from contract.conformance.target import TargetSpec

    try:
        spec = TargetSpec.parse(target)
    except ValueError as exc:
        raise pytest.UsageError(f"--juhe-target: {exc}") from None
    if budget is not None and budget < 0:
        raise pytest.UsageError("--juhe-budget: a budget cannot be negative")
    if spec.kind == "live" and not _key(config):
        raise pytest.UsageError("--juhe-target live needs --juhe-key or JUHE_KEY")
    config.stash[_SPEC] = spec


def _key(config: pytest.Config) -> str | None:
    return config.getoption("juhe_key") or os.environ.get("JUHE_KEY") or None


def _tally(config: pytest.Config) -> RunTally:
    if _TALLY not in config.stash:
        from contract.conformance.budget import Budget
        from contract.conformance.target import RunTally, TargetSpec

        spec = config.stash.get(_SPEC, None) or TargetSpec.parse(config.getoption("juhe_target"))
        limit = config.getoption("juhe_budget")
        if limit is None and spec.kind == "live":
            limit = 0
        config.stash[_TALLY] = RunTally(spec, Budget(limit))
    return config.stash[_TALLY]


@pytest.fixture(scope="session")
def juhe_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """The run's in-process mock server (started on first use)."""
    from mock_server import MockServer
    from mock_server.testing import count_api_calls

    tally = _tally(pytestconfig)
    tally.used = True
    with MockServer() as server:
        count_api_calls(server, tally)
        yield server
        tally.add_mock_usage(server.usage)


@pytest.fixture
def juhe_mock(juhe_mock_server: MockServer, pytestconfig: pytest.Config) -> JuheMock:
    """The mock, reset to no scenario with an empty journal and ledger for this test."""
    from mock_server.testing import JuheMock

    handle = JuheMock(juhe_mock_server, _tally(pytestconfig))
    handle.reset()
    return handle


@pytest.fixture
def juhe_target(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Any]:
    """The target of ``--juhe-target``, its requests kept within ``--juhe-budget``."""
    import requests

    from contract.conformance.target import SUITE_KEY, JuheTarget

    tally = _tally(pytestconfig)
    tally.used = True
    spec = tally.spec

    def refused(exc: Exception) -> None:
        pytest.fail(f"juhe: {exc} [--juhe-budget {tally.budget.limit}]", pytrace=False)

    mock: JuheMock | None = request.getfixturevalue("juhe_mock") if spec.kind == "mock" else None
    with requests.Session() as session:
        target: JuheTarget = JuheTarget(
            kind=spec.kind,
            base_url=mock.url if mock is not None else str(spec.base_url),
            key=SUITE_KEY if spec.kind == "mock" else (_key(pytestconfig) or SUITE_KEY),
            strict=spec.kind == "mock" or bool(pytestconfig.getoption("juhe_strict")),
            budget=tally.budget,
            session=session,
            mock=mock,
            on_refused=refused,
        )
        yield target


@pytest.fixture(scope="session")
def juhe_canaries(pytestconfig: pytest.Config) -> list[Canary] | None:
    """The known answers to check (``--juhe-canaries`` / ``JUHE_CANARIES``), or None."""
    return load_canaries_option(pytestconfig)


def load_canaries_option(config: pytest.Config) -> list[Canary] | None:
    """The canaries the options name; :raises pytest.UsageError: naming file and field."""
    from contract.conformance.canaries import CanaryError, canaries_from_env, load_canaries

    path = config.getoption("juhe_canaries")
    env = os.environ.get("JUHE_CANARIES", "").strip()
    try:
        if path:
            return load_canaries(path)
        return canaries_from_env(env) if env else None
    except CanaryError as exc:
        raise pytest.UsageError(f"--juhe-canaries: {exc}") from None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is not None and tally.used:
        terminalreporter.write_line(tally.summary())
