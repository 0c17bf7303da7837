"""pytest plugin ``juhe`` (entry point ``pytest11``): the mock as fixtures, any target, a budget.

Fixtures:

* ``juhe_mock_server`` (session): one in-process :class:`~mock_server.MockServer`, started
  on first use, stopped at the end of the run.
* ``juhe_mock``: that server reset for one test, as a :class:`~mock_server.testing.JuheMock`
  (``.url``, ``.scenario(doc)``, ``.requests``, ``.usage``, ``.assert_called(...)``); the
  marker ``@pytest.mark.juhe_scenario(name_path_or_doc, ...)`` sets its scenario.
* ``juhe_target``: a :class:`~contract.conformance.target.JuheTarget` for ``--juhe-target``:
  ``mock`` (default: the in-process mock), an http(s) URL (any running server; a juhe-mock
  there is configured through :class:`~mock_server.AdminClient`, with
  ``JUHE_MOCK_ADMIN_TOKEN`` if set) or ``live`` (the vendor; needs ``--juhe-key`` or
  ``JUHE_KEY``). Its default: ``JUHE_TARGET``, else ``JUHE_BASE_URL``, else ``mock``.
  Every request it sends passes the run's spend budget; a call the budget refuses fails
  the test, naming the budget.
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
    from contract.conformance.target import ConfigurableMock, JuheTarget, RunTally, TargetSpec
    from mock_server import MockServer
    from mock_server.testing import JuheMock

_TALLY: pytest.StashKey[RunTally] = pytest.StashKey()
_SPEC: pytest.StashKey[TargetSpec] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("juhe", "Juhe tenure API: mock, contract target and spend budget")
    group.addoption(
        "--juhe-target", default=_target_from_env(), metavar="mock|URL|live",
        help="where juhe_target sends requests (default: JUHE_TARGET or JUHE_BASE_URL, "
        "else the in-process mock)",
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


_TARGET_VARIABLES = ("JUHE_TARGET", "JUHE_BASE_URL")


def _target_from_env() -> str:
    """``--juhe-target``'s default: ``JUHE_TARGET``, else ``JUHE_BASE_URL`` (a CI service's
    address, docs/ci-service.md), else the in-process mock."""
    for name in _TARGET_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return "mock"


def _target_named_by(config: pytest.Config) -> str:
    """Where the target came from, for messages: the option, or the variable that gave it."""
    given = any(str(arg).startswith("--juhe-target") for arg in config.invocation_params.args)
    variables = [name for name in _TARGET_VARIABLES if os.environ.get(name, "").strip()]
    return variables[0] if variables and not given else "--juhe-target"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "juhe_scenario(*scenarios): the scenario of the test's juhe_mock (and juhe_target): "
        "shipped names, YAML/JSON paths or documents, merged in order",
    )
    target = config.getoption("juhe_target")
    budget = config.getoption("juhe_budget")
    if target == "mock" and budget is None:
        return  # the common case: nothing to check, nothing to import
    from contract.conformance.target import TargetSpec

    where = _target_named_by(config)
    try:
        spec = TargetSpec.parse(target)
    except ValueError as exc:
        raise pytest.UsageError(f"{where}: {exc}") from None
    if budget is not None and budget < 0:
        raise pytest.UsageError("--juhe-budget: a budget cannot be negative")
    # Asked for on the command line, live without a key is a usage error. From the
    # environment (JUHE_BASE_URL may be set for the project's own client), a run that never
    # uses juhe_target must not fail for it: juhe_target fails instead (_live_without_key).
    if spec.kind == "live" and not _key(config) and where == "--juhe-target":
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


def _marked_scenario(request: pytest.FixtureRequest) -> Any:
    """The test's ``juhe_scenario`` markers as one scenario source, or None."""
    from mock_server.testing import merged_scenario

    markers = list(request.node.iter_markers("juhe_scenario"))  # the closest first
    sources = [source for marker in reversed(markers) for source in marker.args]
    if any(not marker.args for marker in markers):
        pytest.fail("juhe_scenario: give a shipped scenario's name, a path or a document")
    return merged_scenario(sources) if sources else None


@pytest.fixture
def juhe_mock(
    juhe_mock_server: MockServer, pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> JuheMock:
    """The mock, reset to no scenario (or the ``juhe_scenario`` marker's) with an empty
    journal and ledger for this test."""
    from mock_server.testing import JuheMock

    handle = JuheMock(juhe_mock_server, _tally(pytestconfig))
    handle.reset()
    marked = _marked_scenario(request)
    if marked is not None:
        handle.scenario(marked)
    return handle


@pytest.fixture
def juhe_target(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Any]:
    """The target of ``--juhe-target``, its requests kept within ``--juhe-budget``."""
    import requests

    from contract.conformance.target import SUITE_KEY, JuheTarget

    tally = _tally(pytestconfig)
    tally.used = True
    spec = tally.spec
    if spec.kind == "live" and not _key(pytestconfig):
        where = _target_named_by(pytestconfig)
        pytest.fail(f"juhe: {where} names the live API, which needs --juhe-key or JUHE_KEY")

    def refused(exc: Exception) -> None:
        pytest.fail(f"juhe: {exc} [--juhe-budget {tally.budget.limit}]", pytrace=False)

    mock: ConfigurableMock | None = None
    if spec.kind == "mock":
        mock = request.getfixturevalue("juhe_mock")
    with requests.Session() as session:
        if spec.kind == "url":  # a juhe-mock elsewhere is configured over its admin API
            from mock_server.admin_client import AdminClient

            token = os.environ.get("JUHE_MOCK_ADMIN_TOKEN") or None
            mock = AdminClient(str(spec.base_url), token, session=session)
            marked = _marked_scenario(request)
            if marked is not None:
                mock.scenario(marked)
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
