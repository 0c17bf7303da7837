"""What the pytest plugin's ``juhe_mock`` fixture hands to a test: the mock, reset for it.

:class:`JuheMock` wraps the session's :class:`~mock_server.MockServer` for one test; it is
the :class:`~contract.conformance.target.ConfigurableMock` that a ``juhe_target`` of kind
``mock`` configures. :func:`count_api_calls` feeds the run's
:class:`~contract.conformance.target.RunTally`. Nothing here imports pytest or the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contract import PATH

if TYPE_CHECKING:
    from contract.conformance.target import RunTally, ScenarioDocument
    from mock_server import MockServer

__all__ = ["JuheMock", "count_api_calls"]


def count_api_calls(server: MockServer, tally: RunTally) -> None:
    """Count every request to the API path that ``server`` answers."""
    server.watch_api_calls(tally.count_mock_call)


class JuheMock:
    """The session's mock server, reset for one test: ``url``, ``scenario()``, ``requests``,
    ``usage``."""

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
        """Replace the scenario (a document or a YAML/JSON path) for the rest of this test."""
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
