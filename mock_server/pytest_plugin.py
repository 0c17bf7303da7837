"""pytest plugin ``juhe`` (entry point ``pytest11``): the mock as fixtures, any target, a budget.

Fixtures:

* ``juhe_mock_server`` (session): one in-process :class:`~mock_server.MockServer`, started
  on first use, stopped at the end of the run.
* ``juhe_mock``: that server reset for one test, as a :class:`~mock_server.testing.JuheMock`
  (``.url``, ``.scenario(doc)``, ``.requests``, ``.usage``, ``.assert_called(...)``); the
  marker ``@pytest.mark.juhe_scenario(name_path_or_doc, ...)`` sets its scenario.
* ``juhe_target``: a :class:`~contract.conformance.target.JuheTarget` for ``--juhe-target``:
  ``mock`` (default: the in-process mock), an http(s) URL or ``live`` (the vendor). A URL
  is live until its ``/__admin/health`` says it is juhe-mock (then it is configured through
  :class:`~mock_server.AdminClient`, with ``JUHE_MOCK_ADMIN_TOKEN`` if set); live needs
  ``--juhe-key`` or ``JUHE_KEY``. Its default: ``JUHE_TARGET``, else ``JUHE_BASE_URL``,
  else ``mock``. Every request that carries the key reserves a unit of the run's budget; a
  call the budget refuses fails the test, naming the budget.
* ``juhe_canaries``: the known answers of ``--juhe-canaries FILE`` / ``JUHE_CANARIES``
  (a path or the JSON itself), or None.

``--juhe-budget N``: the most billable calls the whole run may make through
``juhe_target``, its pytest-xdist workers together; default 0 against live, no limit for
the mock (nothing bills there; give one to rehearse a live run). ``--juhe-ledger FILE``
(with ``--juhe-day-cap``/``--juhe-month-cap``) caps spend across runs. ``--juhe-seed N``
gives back a live run's inputs. ``--juhe-record FILE`` appends every answer
``juhe_target`` receives to a recording (docs/recording.md). ``--juhe-plan`` sends
nothing: the tests run against a simulation and the run ends with every request it would
have made and what it needs from the budget (exit 1 when that is more). The run ends with
one summary line. The key is scrubbed from every report (``mock_server.pytest_scrub``).

Unused, the plugin costs nothing: it imports the mock server only when a fixture asks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .pytest_options import (
    key_of,
    pytest_addoption,  # noqa: F401  (a hook: pytest finds it here)
    target_named_by,
)

if TYPE_CHECKING:
    from contract.conformance.canaries import Canary
    from contract.conformance.target import ConfigurableMock, JuheTarget, RunTally, TargetSpec
    from mock_server import MockServer
    from mock_server.testing import JuheMock

_TALLY: pytest.StashKey[RunTally] = pytest.StashKey()
_SPEC: pytest.StashKey[TargetSpec] = pytest.StashKey()
_RUN: pytest.StashKey[dict[str, Any]] = pytest.StashKey()  # what workers are handed
_WORKER_INPUT = "juhe_run"
#: How long a reservation under pytest-xdist may wait for another worker's unit to return.
_SHARED_WAIT_S = 60.0


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _distributed(config: pytest.Config) -> bool:
    """Whether this is the controller of a pytest-xdist run."""
    return getattr(config.option, "dist", "no") != "no" and not _is_worker(config)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "juhe_scenario(*scenarios): the scenario of the test's juhe_mock (and juhe_target): "
        "shipped names, YAML/JSON paths or documents, merged in order",
    )
    key = key_of(config)
    if key:  # every report of the run is scrubbed of it (mock_server.pytest_scrub)
        from . import pytest_scrub

        config.stash[pytest_scrub.SECRET] = key
        config.pluginmanager.register(pytest_scrub, "juhe-scrub")
    if _distributed(config):
        config.pluginmanager.register(_XdistBridge(config), "juhe-xdist")
    options = ("juhe_budget", "juhe_ledger", "juhe_seed", "juhe_plan", "juhe_record")
    chosen = [config.getoption(o) for o in options]
    if config.getoption("juhe_target") == "mock" and all(v in (None, False) for v in chosen):
        return  # the common case: nothing to check, nothing to import
    from contract.conformance.target import TargetSpec

    where = target_named_by(config)
    try:
        spec = TargetSpec.parse(config.getoption("juhe_target"))
    except ValueError as exc:
        raise pytest.UsageError(f"{where}: {exc}") from None
    for name in ("juhe_budget", "juhe_day_cap", "juhe_month_cap"):
        value = config.getoption(name)
        if value is not None and value < 0:
            raise pytest.UsageError(f"--{name.replace('_', '-')}: a budget cannot be negative")
    spec = spec.identified(_identity(config, spec)) if spec.kind != "mock" else spec
    # Asked for on the command line, live without a key is a usage error. From the
    # environment (JUHE_BASE_URL may be set for the project's own client), a run that never
    # uses juhe_target must not fail for it: juhe_target fails instead.
    if (
        spec.kind == "live"
        and not key
        and not config.getoption("juhe_plan")
        and (where == "--juhe-target")
    ):
        given = config.getoption("juhe_target")
        why = spec.identity.why if given != "live" and spec.identity is not None else ""
        raise pytest.UsageError(
            f"--juhe-target {given} needs --juhe-key or JUHE_KEY"
            + (f" (it is treated as live: {why})" if why else "")
        )
    config.stash[_SPEC] = spec
    _tally(config)


def _identity(config: pytest.Config, spec: TargetSpec) -> Any:
    """Who the URL is: handed down by the controller, assumed live for a plan, else asked."""
    from contract.conformance.identify import UNASKED, Identity, identify

    given = getattr(config, "workerinput", {}).get(_WORKER_INPUT)
    if given is not None:
        return Identity.from_dict(given["identity"])
    if config.getoption("juhe_plan"):
        return UNASKED
    import requests

    with requests.Session() as session:
        return identify(session, str(spec.base_url))


def _sent_key(config: pytest.Config, spec: TargetSpec) -> str:
    from contract.conformance.target import SUITE_KEY

    if spec.kind == "mock" or config.getoption("juhe_plan"):
        return SUITE_KEY  # a plan's simulation never sees the real key
    return key_of(config) or SUITE_KEY


def _tally(config: pytest.Config) -> RunTally:
    if _TALLY in config.stash:
        return config.stash[_TALLY]
    from contract.conformance.budget import Budget
    from contract.conformance.ledger import Ledger, LedgerError
    from contract.conformance.probe import new_seed
    from contract.conformance.target import RunTally, TargetSpec

    spec = config.stash.get(_SPEC, None) or TargetSpec("mock")
    given = getattr(config, "workerinput", {}).get(_WORKER_INPUT) or {}
    plan = bool(config.getoption("juhe_plan"))
    limit = config.getoption("juhe_budget")
    if limit is None and spec.kind == "live":
        limit = 0
    ledger = None
    path = config.getoption("juhe_ledger")
    if path and not plan:
        try:
            ledger = Ledger(path, day_cap=config.getoption("juhe_day_cap"),
                            month_cap=config.getoption("juhe_month_cap"))  # fmt: skip
        except LedgerError as exc:
            raise pytest.UsageError(f"--juhe-ledger: {exc}") from None
    shared = given.get("counts")
    if shared is None and _distributed(config) and _SPEC in config.stash:
        folder = tempfile.mkdtemp(prefix="juhe-run-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        shared = str(Path(folder) / "budget.json")
    budget = Budget(
        None if plan else limit, key=_sent_key(config, spec), shared=shared, ledger=ledger,
        wait_s=_SHARED_WAIT_S if shared else 0.0,
    )  # fmt: skip
    seed = given.get("seed", config.getoption("juhe_seed"))
    tally = RunTally(spec, budget, seed=new_seed() if seed is None else seed,
                     plan=[] if plan else None)  # fmt: skip
    record = config.getoption("juhe_record")
    if record and not plan:
        from contract.conformance.recorder import Recorder
        from contract.conformance.recording import RecordingError

        try:
            tally.recorder = Recorder(record, source="pytest", key=_sent_key(config, spec))
        except RecordingError as exc:
            raise pytest.UsageError(f"--juhe-record: {exc}") from None
        config.add_cleanup(tally.recorder.close)
    config.stash[_TALLY] = tally
    identity = spec.identity.as_dict() if spec.identity is not None else None
    config.stash[_RUN] = {"counts": shared, "seed": tally.seed, "identity": identity}
    return tally


class _XdistBridge:
    """The controller's side of a pytest-xdist run: one budget and one summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if _SPEC in self.config.stash:
            node.workerinput[_WORKER_INPUT] = self.config.stash[_RUN]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        part = getattr(node, "workeroutput", {}).get(_WORKER_INPUT)
        if part:
            _tally(self.config).add_worker_part(part)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    tally = config.stash.get(_TALLY, None)
    if tally is None:
        return
    if _is_worker(config):
        config.workeroutput[_WORKER_INPUT] = tally.worker_part()  # type: ignore[attr-defined]
        return
    if tally.plan is not None:
        session.exitstatus = 0 if _plan(config, tally)[1] else 1


def _plan(config: pytest.Config, tally: RunTally) -> tuple[str, bool]:
    from contract.conformance.ledger import Ledger
    from contract.conformance.plan import Plan, plan_report

    limit = config.getoption("juhe_budget")
    if limit is None and tally.live:
        limit = 0
    status = None
    if config.getoption("juhe_ledger"):
        status = Ledger(config.getoption("juhe_ledger")).status(
            day_cap=config.getoption("juhe_day_cap"), month_cap=config.getoption("juhe_month_cap")
        )
    plan = Plan(tuple(tally.plan or ()))
    where = tally.spec.base_url or "the in-process mock"
    note = "the tests ran against the in-process mock playing the target; their outcomes " \
        "are the simulation's, not the target's"  # fmt: skip
    text = plan_report(plan, target=where, limit=limit, ledger=status, grouped=True, note=note)
    return text, plan.fits(limit, status)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("juhe_plan"):
        return
    simulated = pytest.mark.xfail(reason="juhe plan: answered by a simulation", strict=False)
    for item in items:
        if "juhe_target" in getattr(item, "fixturenames", ()):
            item.add_marker(simulated)


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

    from contract.conformance.target import JuheTarget

    tally = _tally(pytestconfig)
    tally.used = True
    spec = tally.spec
    if spec.kind == "live" and not key_of(pytestconfig) and not pytestconfig.getoption("juhe_plan"):
        where = target_named_by(pytestconfig)
        pytest.fail(f"juhe: {where} names the live API, which needs --juhe-key or JUHE_KEY")
    key = _sent_key(pytestconfig, spec)

    def refused(exc: Exception) -> None:
        pytest.fail(f"juhe: {exc} [--juhe-budget {tally.budget.limit}]", pytrace=False)

    simulated = tally.plan is not None and spec.kind != "mock"
    mock: ConfigurableMock | None = None
    if spec.kind == "mock" or simulated:
        mock = request.getfixturevalue("juhe_mock")
    if simulated and mock is not None:  # the simulation refuses other keys, as live does
        mock.scenario({"keys": {"allow": [key]}})
    identity = spec.identity
    with requests.Session() as session:
        if spec.kind == "url" and not simulated:  # a juhe-mock elsewhere: its admin API
            from mock_server.admin_client import AdminClient

            token = os.environ.get("JUHE_MOCK_ADMIN_TOKEN") or None
            mock = AdminClient(str(spec.base_url), token, session=session)
            marked = _marked_scenario(request)
            if marked is not None:
                mock.scenario(marked)
        target: JuheTarget = JuheTarget(
            kind=spec.kind,
            base_url=mock.url if mock is not None else str(spec.base_url),
            key=key,
            strict=spec.kind == "mock" or bool(pytestconfig.getoption("juhe_strict")),
            budget=tally.budget,
            session=session,
            mock=mock if spec.kind in ("mock", "url") else None,
            on_refused=refused,
            tally=tally,
            label=request.node.nodeid,
            accepts_any_key=identity is not None and identity.mock and identity.accepts_any_key,
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


def pytest_report_header(config: pytest.Config) -> list[str]:
    tally = config.stash.get(_TALLY, None)
    if tally is None or _is_worker(config):
        return []
    return [f"juhe: {line}" for line in _about(config, tally)]


def _about(config: pytest.Config, tally: RunTally) -> list[str]:
    from contract.transport import cleartext_warning

    spec = tally.spec
    lines = []
    if spec.identity is not None:
        lines.append(f"target {spec.base_url}: {spec.identity.why}")
    if tally.live:
        lines.append(f"seed {tally.seed} (--juhe-seed {tally.seed} gives the same inputs)")
    warning = cleartext_warning(str(spec.base_url)) if spec.base_url and key_of(config) else None
    if warning:
        lines.append(f"warning: {warning}")
    return lines


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(_TALLY, None)
    if tally is None or _is_worker(config):
        return
    for line in _about(config, tally):
        if line.startswith("warning:"):
            terminalreporter.write_line(f"juhe: {line}")
    if tally.plan is not None:
        for line in _plan(config, tally)[0].splitlines():
            terminalreporter.write_line(line)
    elif tally.used:
        terminalreporter.write_line(tally.summary())
