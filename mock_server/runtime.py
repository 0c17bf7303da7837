"""One running mock, apart from HTTP: its settings, scenario, engine and store.

The web layer, the admin API, :class:`~mock_server.serve.server.MockServer` and the CLI all
act through a :class:`MockRuntime`; none of them holds state of its own. Each scenario
document is read and compiled once (:mod:`mock_server.scenario`); reconfiguring compiles
only the new document, and the merged scenario reuses every compiled rule.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import MockConfig, ScenarioSource
from .engine import Engine
from .scenario.compile import CompiledDocument, assemble, place_rule
from .scenario.document import (
    compile_file,
    default_compiled,
    merge_documents,
    validate_document,
    validate_rule,
)
from .scenario.errors import ConfigError
from .scenario.model import Scenario
from .scenario.schema import MAX_RULES
from .state.orderids import OrderIds
from .state.store import InMemoryStore, Store

if TYPE_CHECKING:
    from .proxy.guard import GuardProxy

__all__ = ["MockConfig", "MockRuntime", "ScenarioSource"]


def compile_source(source: ScenarioSource | CompiledDocument, label: str) -> CompiledDocument:
    """A scenario given in Python (a path or a document), validated and compiled; one
    that is compiled already (the admin API's YAML body) is used as it is."""
    if isinstance(source, CompiledDocument):
        return source
    if isinstance(source, (str, Path)):
        return compile_file(source)
    return validate_document(dict(source), label)


class MockRuntime:
    """The mock's configuration and state; safe to use from many threads.

    :param store: the store to keep state in (``create_app`` opens it from the settings);
        default: ``config.store``, else a fresh in-memory one.
    """

    def __init__(self, config: MockConfig, store: Store | None = None) -> None:
        self.config = config
        self.store: Store = (
            store or config.store or InMemoryStore(config.journal_size, config.ledger_keys)
        )
        self.clock = config.clock
        self.started = config.clock()
        self._loaded = [
            compile_source(s, f"scenario #{i + 1}") for i, s in enumerate(config.scenarios)
        ]
        # --replay: a setting, not a scenario: it stays through configure, reload and reset.
        self._replay = (
            [validate_document({"replay": list(config.replay)}, "--replay")]
            if config.replay else []
        )  # fmt: skip
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.orderids = OrderIds(self.store, config.clock)
        self.engine = self._engine(self._loaded)
        #: The guard proxy (``upstream``): it answers the API path instead of the engine.
        self.proxy: GuardProxy | None = None

    def _engine(self, parts: Sequence[CompiledDocument]) -> Engine:
        every = [default_compiled(), *parts, *self._replay]
        rules = sum(len(part.rules) for part in every)
        if rules > MAX_RULES:
            why = f"{rules:,} rules in all; a scenario holds at most {MAX_RULES:,}"
            raise ConfigError("merged scenario", "$.rules", why)
        merged = merge_documents([part.document for part in every])
        return Engine(assemble(merged, every, seed=self.config.seed), self.store, self.clock)

    @property
    def scenario(self) -> Scenario:
        return self.engine.scenario

    @property
    def document(self) -> dict[str, Any]:
        """The scenario in force: the built-in defaults with every document merged on top."""
        return dict(self.engine.scenario.document)

    def configure(self, source: ScenarioSource | CompiledDocument, label: str = "scenario") -> None:
        """Replace the scenario (everything above the built-in defaults) with ``source``.

        Rule counters start afresh for a changed document; the journal, the ledger and
        quota counters stay (``reset()`` clears those).

        :raises ConfigError: for an invalid document; the current scenario stays.
        """
        engine = self._engine([compile_source(source, label)])
        with self._lock:
            self.engine = engine

    def prepare(self, parts: Sequence[CompiledDocument]) -> Engine:
        """The engine ``parts`` would be served with (for :meth:`reload`), nothing swapped.

        :raises ConfigError: for documents that cannot be merged.
        """
        return self._engine(parts)

    def reload(self, parts: Sequence[CompiledDocument], engine: Engine | None = None) -> None:
        """Serve ``parts`` (the scenario files read again) as if started with them.

        The swap is atomic: a request is decided by the old scenario or the new one, never
        a mix. What ``configure`` keeps stays (the journal, the ledger, quota and orderid
        counters; a rule's counters when its content and place are unchanged); changes made
        since over the admin API are replaced; ``reset()`` goes back to these parts.

        :param engine: ``prepare(parts)``'s result, if made already.
        """
        engine = engine or self._engine(parts)
        with self._lock:
            self._loaded = list(parts)
            self.engine = engine

    def add_rule(self, rule: Mapping[str, Any], label: str = "rule") -> str:
        """Append one rule to the scenario in force; returns the rule's name.

        :raises ConfigError: for an invalid rule, or one past :data:`MAX_RULES`.
        """
        compiled = validate_rule(rule, label)
        with self._lock:
            scenario = self.engine.scenario
            if len(scenario.rules) >= MAX_RULES:
                why = f"the scenario holds {MAX_RULES:,} rules, the most it may"
                raise ConfigError(label, "$", why)
            doc = dict(scenario.document)
            doc["rules"] = [*doc.get("rules", []), dict(rule)]
            placed = place_rule(compiled, rule, len(scenario.rules))
            grown = replace(scenario, document=doc, rules=(*scenario.rules, placed))
            self.engine = Engine(grown, self.store, self.clock)
            return placed.name

    def reset(self) -> None:
        """Back to the loaded scenarios, with counters, journal and ledger cleared."""
        engine = self._engine(self._loaded)
        with self._lock:
            self.engine = engine
            self.store.reset()

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` for a latency or drip rule; cut short once the server stops.

        A rule may ask for up to 600 s, and a stopping server must not wait for it.
        """
        if seconds > 0:
            self._stopping.wait(seconds)

    def stop_pausing(self) -> None:
        """End every pause now and skip later ones: the server is stopping."""
        self._stopping.set()

    def resume_pausing(self) -> None:
        """Pauses wait again (a stopped :class:`~mock_server.serve.server.MockServer` restarts)."""
        self._stopping.clear()

    @property
    def stopping(self) -> bool:
        """Whether the server is stopping (its pauses are cut short)."""
        return self._stopping.is_set()

    def usage(self) -> dict[str, Any]:
        """The ledger; for the guard proxy also its ``upstream`` counters and ``budget``."""
        usage = self.store.ledger_snapshot()
        if self.proxy is not None:
            usage.update(self.proxy.usage())
        return usage

    def requests(self) -> list[dict[str, Any]]:
        return self.store.journal_list()
