"""One running mock, apart from HTTP: its configuration, scenario, engine and store.

The Flask routes, the admin API, :class:`~mock_server.server.MockServer` and the CLI all
act through a :class:`MockRuntime`; none of them holds state of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from .config import (
    compile_scenario,
    default_document,
    load_document,
    merge_documents,
    validate_document,
    validate_rule,
)
from .engine import Engine
from .store import DEFAULT_JOURNAL_SIZE, InMemoryStore, Store
from .wire import OrderIds

__all__ = ["MockConfig", "MockRuntime", "ScenarioSource"]

#: A scenario given in Python: a document (dict) or the path of a YAML/JSON file.
ScenarioSource = Union[Mapping[str, Any], str, Path]  # noqa: UP007 - a runtime alias on 3.10

#: The largest request body accepted (form posts are tiny; scenario documents are not).
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


@dataclass
class MockConfig:
    """How to build a mock: ``create_app(MockConfig(...))`` or a mapping of these fields."""

    scenarios: Sequence[ScenarioSource] = ()
    seed: int | None = None
    admin_token: str | None = None
    store: Store | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    clock: Callable[[], float] = field(default=time.time)

    def __post_init__(self) -> None:
        # One document or one path is a list of one: iterated as it is, a path gave its
        # characters and a dict its keys, each then reported as "no such file".
        if isinstance(self.scenarios, (Mapping, str, Path)):
            self.scenarios = [self.scenarios]

    @classmethod
    def of(cls, config: MockConfig | Mapping[str, Any] | None) -> MockConfig:
        if config is None:
            return cls()
        if isinstance(config, MockConfig):
            return config
        return cls(**dict(config))


def _document(source: ScenarioSource, label: str) -> dict[str, Any]:
    if isinstance(source, (str, Path)):
        return load_document(source)
    doc = dict(source)
    validate_document(doc, label)
    return doc


class MockRuntime:
    """The mock's configuration and state; safe to use from many threads."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.store: Store = config.store or InMemoryStore(journal_size=config.journal_size)
        self.clock = config.clock
        self.started = config.clock()
        self._base = default_document()
        self._loaded = [_document(s, f"scenario #{i + 1}") for i, s in enumerate(config.scenarios)]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.orderids = OrderIds(self.store, config.clock)
        self.engine = self._engine(self._loaded)

    def _engine(self, docs: Sequence[Mapping[str, Any]]) -> Engine:
        merged = merge_documents([self._base, *docs])
        scenario = compile_scenario(merged, seed=self.config.seed, source="merged scenario")
        return Engine(scenario, self.store, self.clock)

    @property
    def document(self) -> dict[str, Any]:
        """The scenario in force: the built-in defaults with every document merged on top."""
        return dict(self.engine.scenario.document)

    def configure(self, source: ScenarioSource, label: str = "scenario") -> None:
        """Replace the scenario (everything above the built-in defaults) with ``source``.

        Rule counters start afresh for a changed document; the journal, the ledger and
        quota counters stay (``reset()`` clears those).

        :raises ConfigError: for an invalid document; the current scenario stays.
        """
        doc = _document(source, label)
        engine = self._engine([doc])
        with self._lock:
            self.engine = engine

    def add_rule(self, rule: Mapping[str, Any], label: str = "rule") -> str:
        """Append one rule to the scenario in force; returns the rule's name."""
        validate_rule(rule, label)
        with self._lock:
            doc = self.document
            rules = [*doc.get("rules", []), dict(rule)]
            doc["rules"] = rules
            self.engine = Engine(
                compile_scenario(doc, seed=self.config.seed, source=label), self.store, self.clock
            )
            return self.engine.scenario.rules[-1].name

    def reset(self) -> None:
        """Back to the loaded scenarios, with counters, journal and ledger cleared."""
        engine = self._engine(self._loaded)
        with self._lock:
            self.engine = engine
            self.store.reset()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` for a latency or drip rule; cut short once the server stops.

        A rule may ask for up to 600 s; with ``time.sleep`` a request in flight held
        SIGTERM up until waitress gave up on its threads (5 s), not the promised second.
        """
        if seconds > 0:
            self._stopping.wait(seconds)

    def stop_pausing(self) -> None:
        """End every pause now and skip later ones: the server is stopping."""
        self._stopping.set()

    def resume_pausing(self) -> None:
        """Pauses wait again (a stopped :class:`~mock_server.server.MockServer` restarts)."""
        self._stopping.clear()

    def usage(self) -> dict[str, Any]:
        return self.store.ledger_snapshot()

    def requests(self) -> list[dict[str, Any]]:
        return self.store.journal_list()
