"""Where the contract suite sends its requests.

:class:`JuheTarget` is the target of ``--juhe-target``, whatever answers it: the in-process
mock, a juhe-mock at a URL, or anything live. Every request goes through the run's spend
:class:`~contract.conformance.budget.Budget` (a call that carries the key reserves a unit
first) and, against live, through the run's record: an identical request is answered from
it, not sent again. :meth:`JuheTarget.sized` sizes a Hypothesis property to the budget
(:func:`~contract.conformance.live.live_settings` against live); :meth:`JuheTarget.hashes`
and :meth:`JuheTarget.invalid_mobiles` are the inputs that fit the target (against live,
none is anyone's number). The mock reaches this module only through the
:class:`ConfigurableMock` protocol: nothing here imports ``mock_server``, the client or
pytest (the plugin turns a refused call into a test failure).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Union, runtime_checkable

import requests
from hypothesis import settings
from hypothesis import strategies as st

from .budget import Budget, BudgetExceeded, billing
from .live import (
    LIVE_BILLABLE_EXAMPLES,
    LIVE_FREE_EXAMPLES,
    LIVE_PROFILE,
    hashes_for,
    invalid_mobiles_for,
    live_settings,
)
from .plan import PlannedRequest
from .probe import Answer, send
from .tally import RunTally, TargetSpec, request_key

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

#: The key the suite sends to the in-process mock (and, by default, to a juhe-mock URL).
SUITE_KEY = "juhe-contract-suite-key"

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


def _key_kind(sent: str | None, key: str) -> str:
    if sent is None:
        return "none"
    if sent == "":
        return "empty"
    return "given" if sent == key else "wrong"


class JuheTarget:
    """Where the contract suite's requests go; each one passes the run's spend budget.

    :param kind: ``mock``, ``url`` (a juhe-mock at a URL) or ``live``.
    :param key: the key of a valid call (the suite's own for the mock).
    :param strict: judge answers as strictly as our own mock's (False for live).
    :param mock: what :meth:`scenario` configures: the in-process mock for ``kind="mock"``,
        or an admin client of a juhe-mock at a ``url``.
    :param on_refused: called with the :class:`~contract.conformance.budget.BudgetExceeded`
        of a call the budget refused; it must raise (the plugin fails the test).
    :param tally: the run's record, seed and plan (one per run; a fresh one if None).
    :param label: who asks, for the plan (a test's id).
    :param accepts_any_key: the target said it accepts every key (juhe-mock's default).
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
        tally: RunTally | None = None,
        label: str = "",
        accepts_any_key: bool = False,
    ) -> None:
        self.kind = kind
        self.base_url = base_url
        self._key = key
        self.strict = strict
        self.budget = budget
        self.mock = mock
        self._session = session
        self._on_refused = on_refused
        self.tally = tally or RunTally(TargetSpec(kind, base_url), budget)
        self.label = label
        self.accepts_any_key = accepts_any_key

    @property
    def key(self) -> str:
        return self._key

    @property
    def live(self) -> bool:
        return self.kind == "live"

    def __repr__(self) -> str:
        return f"JuheTarget(kind={self.kind!r}, base_url={self.base_url!r}, strict={self.strict})"

    def sized(self, *, billable: bool = False, examples: int | None = None) -> settings:
        """Hypothesis settings for one property against this target.

        Live: :func:`live_settings`. Elsewhere the loaded profile, with ``examples`` if
        given, and no deadline (a request to a server is slower than Hypothesis expects).
        """
        if self.live:
            return live_settings(self.budget, billable=billable, examples=examples)
        if examples is None:
            return settings(deadline=None)
        return settings(max_examples=examples, deadline=None)

    def hashes(self) -> st.SearchStrategy[str]:
        """Well-formed hashes to send: against live, digests of the run's seed (no one's)."""
        return hashes_for(self.live, self.tally.seed)

    def invalid_mobiles(self) -> st.SearchStrategy[str]:
        """Malformed ``mobile`` values; against live none is, or derives from, a number."""
        return invalid_mobiles_for(self.live, self.tally.seed)

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
        """One request: the target's key unless ``key`` (or ``no_key``) says otherwise.

        Against live, a request identical to one made before in this run (method, key and
        mobile) is answered from the run's record (``Answer.replayed``), not sent again.
        """
        sent_key = None if no_key else (self._key if key is None else key)
        kind = _key_kind(sent_key, self._key)
        cost = billing(sent_key, mobile, real_key=self._key)
        self.tally.planned(PlannedRequest(self.label, kind, method, cost))
        request = request_key(method, sent_key, mobile)
        if self.live:
            known = self.tally.recall(request)
            if known is not None:
                self.budget.note_replay()
                return dataclasses.replace(known, replayed=True)
        try:
            answer = send(
                self._session, self.base_url, key=sent_key, mobile=mobile,
                budget=self.budget, method=method,
            )  # fmt: skip
        except BudgetExceeded as exc:
            if self._on_refused is None:
                raise
            refused = exc
        else:
            if self.live:
                self.tally.remember(request, answer)
            if self.tally.recorder is not None:
                from .recorder import record_answer

                record_answer(self.tally.recorder, answer, method=method, key=sent_key,
                              mobile=mobile, strict=self.strict)  # fmt: skip
            return answer
        self._on_refused(refused)  # outside the except: the failure shows no chained traceback
        raise refused
