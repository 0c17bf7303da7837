"""What the pytest plugin's ``juhe_mock`` fixture hands to a test: the mock, reset for it.

:class:`JuheMock` wraps the session's :class:`~mock_server.MockServer` for one test; it is
the :class:`~contract.conformance.target.ConfigurableMock` that a ``juhe_target`` of kind
``mock`` configures. :func:`count_api_calls` feeds the run's
:class:`~contract.conformance.target.RunTally`. Nothing here imports pytest or the client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from contract import PATH

from .verify import Verifying

if TYPE_CHECKING:
    from contract.conformance.target import RunTally, ScenarioDocument
    from mock_server import MockServer

__all__ = ["JuheMock", "count_api_calls", "merged_scenario"]


def merged_scenario(sources: Sequence[ScenarioDocument]) -> ScenarioDocument:
    """Several scenario sources (names, paths, documents) as one document, merged in order
    as ``--scenarios`` merges files; one source as it is."""
    if len(sources) == 1:
        return sources[0]
    from .scenario.document import load_document, merge_documents

    documents = [dict(s) if isinstance(s, Mapping) else load_document(s) for s in sources]
    return merge_documents(documents)


def count_api_calls(server: MockServer, tally: RunTally) -> None:
    """Count every request to the API path that ``server`` answers."""
    server.watch_api_calls(tally.count_mock_call)


class JuheMock(Verifying):
    """The session's mock server, reset for one test: ``url``, ``scenario()``, ``requests``,
    ``usage``, and ``assert_called()``/``assert_not_called()`` over the requests
    (:mod:`mock_server.verify`)."""

    def __init__(self, server: MockServer, tally: RunTally) -> None:
        self.server = server
        self._tally = tally

    @property
    def url(self) -> str:
        """The base URL (append ``contract.PATH``)."""
        return self.server.url

    @property
    def endpoint(self) -> str:
        return self.server.url + PATH

    def scenario(self, document: ScenarioDocument) -> None:
        """Replace the scenario for the rest of this test: a document, a YAML/JSON path or
        the name of a shipped scenario (``"flaky-network"``; ``juhe-mock --list-scenarios``)."""
        self.server.configure(document)

    def add_rule(self, rule: Mapping[str, Any]) -> str:
        return self.server.add_rule(rule)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The mock's journal, oldest first (key fingerprints, never keys)."""
        return self.server.requests

    @property
    def usage(self) -> dict[str, Any]:
        """The mock's billing ledger since this test began."""
        return self.server.usage

    def reset(self) -> None:
        """Back to no scenario; the ledger so far is added to the run's tally first."""
        self._tally.add_mock_usage(self.server.usage)
        self.server.reset()
