"""Where the contract suite sends its requests, and the run's counts.

:class:`JuheTarget` is the target of ``--juhe-target``, whatever answers it: the in-process
mock, any URL, or the live API. Every request goes through the run's spend
:class:`~contract.conformance.budget.Budget`, and :meth:`JuheTarget.sized` sizes a
Hypothesis property to it (:func:`live_settings` against the vendor). :class:`RunTally`
counts the run for the summary line. The mock reaches this module only through the
:class:`ConfigurableMock` protocol: nothing here imports ``mock_server``, the client or
pytest (the plugin turns a refused call into a test failure).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Union, runtime_checkable
from urllib.parse import urlsplit

import requests
from hypothesis import HealthCheck, Phase, settings

from ..codes import BASE_URL
from .budget import Budget, BudgetExceeded
from .probe import Answer, send

__all__ = [
    "LIVE_BILLABLE_EXAMPLES",
    "LIVE_FREE_EXAMPLES",
    "LIVE_PROFILE",
    "SUITE_KEY",
    "ConfigurableMock",
    "JuheTarget",
    "RunTally",
    "ScenarioDocument",
    "TargetSpec",
    "live_settings",
]

#: The key the suite sends to the in-process mock (and, by default, to a URL stand-in).
SUITE_KEY = "juhe-contract-suite-key"
_VENDOR_HOST = urlsplit(BASE_URL).hostname

#: Examples per property against live: every example is a request to the vendor.
LIVE_FREE_EXAMPLES = 5
LIVE_BILLABLE_EXAMPLES = 3
#: The live profile: no replay of saved examples and no shrinking (each would be one more
#: call), no deadline (the vendor is far away), no health check that would ask for more data.
LIVE_PROFILE = settings(
    phases=(Phase.explicit, Phase.generate),
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

#: A scenario document, or the path of a YAML/JSON file holding one.
ScenarioDocument = Union[Mapping[str, Any], str, Path]  # noqa: UP007 - a runtime alias on 3.10


@runtime_checkable
class ConfigurableMock(Protocol):
    """A mock the suite can configure: what the pytest plugin's ``juhe_mock`` gives."""

    @property
    def url(self) -> str:
        """The base URL (append ``contract.PATH``)."""
        ...

    def scenario(self, document: ScenarioDocument) -> None:
        """Replace the scenario for the rest of the test."""
        ...

    def add_rule(self, rule: Mapping[str, Any]) -> str:
        """Add one rule to the scenario; returns its id."""
        ...

    @property
    def requests(self) -> Sequence[Mapping[str, Any]]:
        """The journal, oldest first (key fingerprints, never keys)."""
        ...

    @property
    def usage(self) -> Mapping[str, Any]:
        """The billing ledger since the test began."""
        ...


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


@dataclass(frozen=True)
class TargetSpec:
    """``--juhe-target`` resolved: ``mock``, ``url`` or ``live``, and where."""

    kind: str
    base_url: str | None = None

    @classmethod
    def parse(cls, text: str) -> TargetSpec:
        """:raises ValueError: for anything but ``mock``, ``live`` or an http(s) URL."""
        if text == "mock":
            return cls("mock")
        if text == "live":
            return cls("live", BASE_URL)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{text!r}: use mock, live or an http(s) URL")
        # The vendor's own host is live, whatever it is called: it bills.
        return cls("live" if parts.hostname == _VENDOR_HOST else "url", text.rstrip("/"))


@dataclass
class RunTally:
    """The run's counts for the summary line; the mock's own ledger is added in as it resets."""

    spec: TargetSpec
    budget: Budget
    mock_calls: int = 0
    mock_billable: int = 0
    used: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_mock_call(self) -> None:
        with self._lock:
            self.mock_calls += 1

    def add_mock_usage(self, usage: Mapping[str, Any]) -> None:
        with self._lock:
            self.mock_billable += int(usage.get("billable", 0))

    def summary(self) -> str:
        """One line: calls made, billable calls, and what the mock run would have cost."""
        usage = self.budget.usage()
        limit = "no limit" if usage.limit is None else str(usage.limit)
        if self.spec.kind == "mock":
            return (
                f"juhe: {self.mock_calls} calls to the in-process mock, {self.mock_billable} "
                f"billable: against the live API this run would have cost "
                f"{self.mock_billable} billed calls (budget: {limit}, {usage.refused} refused)"
            )
        where = "live API" if self.spec.kind == "live" else "server"
        line = (
            f"juhe: {usage.calls} calls to the {where} at {self.spec.base_url}, "
            f"{usage.billed} billed, {usage.spent} of budget {limit} spent, "
            f"{usage.refused} refused by the budget"
        )
        return line + (
            f"; {self.mock_calls} calls to the in-process mock" if self.mock_calls else ""
        )


class JuheTarget:
    """Where the contract suite's requests go; each one passes the run's spend budget.

    :param kind: ``mock``, ``url`` or ``live``.
    :param key: the key of a valid call (the suite's own for the mock).
    :param strict: judge answers as strictly as our own mock's (False for live).
    :param mock: what :meth:`scenario` configures: the in-process mock for ``kind="mock"``,
        or an admin client of a juhe-mock at a ``url``.
    :param on_refused: called with the :class:`~contract.conformance.budget.BudgetExceeded`
        of a call the budget refused; it must raise (the plugin fails the test).
    """

    def __init__(
        self,
        *,
        kind: str,
        base_url: str,
        key: str,
        strict: bool,
        budget: Budget,
        session: requests.Session,
        mock: ConfigurableMock | None = None,
        on_refused: Callable[[Exception], None] | None = None,
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        self._key = key
        self.strict = strict
        self.budget = budget
        self.mock = mock
        self._session = session
        self._on_refused = on_refused

    @property
    def key(self) -> str:
        return self._key

    def __repr__(self) -> str:
        return f"JuheTarget(kind={self.kind!r}, base_url={self.base_url!r}, strict={self.strict})"

    def sized(self, *, billable: bool = False, examples: int | None = None) -> settings:
        """Hypothesis settings for one property against this target.

        Live: :func:`live_settings`. Elsewhere the loaded profile, with ``examples`` if
        given, and no deadline (a request to a server is slower than Hypothesis expects).
        """
        if self.kind == "live":
            return live_settings(self.budget, billable=billable, examples=examples)
        if examples is None:
            return settings(deadline=None)
        return settings(max_examples=examples, deadline=None)

    @property
    def configurable(self) -> bool:
        """Whether the test owns the target's scenario: the in-process mock, reset for each
        test. (A ``url`` target that is a juhe-mock takes :meth:`scenario` too, through its
        admin API, but it may be shared, and the change stays until it is reset.)"""
        return self.mock is not None and self.kind == "mock"

    def scenario(self, document: ScenarioDocument) -> None:
        """Configure the mock: the in-process one, or a juhe-mock at a URL (the plugin
        gives it an admin client). :raises RuntimeError: for a target with neither."""
        if self.mock is None:
            raise RuntimeError(f"a {self.kind} target cannot be configured")
        self.mock.scenario(document)

    def ask(
        self, *, mobile: str | None, key: str | None = None, no_key: bool = False,
        method: str = "POST",
    ) -> Answer:  # fmt: skip
        """One request: the target's key unless ``key`` (or ``no_key``) says otherwise."""
        sent_key = None if no_key else (self._key if key is None else key)
        try:
            return send(
                self._session, self.base_url, key=sent_key, mobile=mobile,
                budget=self.budget, method=method,
            )  # fmt: skip
        except BudgetExceeded as exc:
            if self._on_refused is None:
                raise
            refused = exc
        self._on_refused(refused)  # outside the except: the failure shows no chained traceback
        raise refused
