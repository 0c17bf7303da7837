"""The runtime a served mock answers with: settings, scenario, engine and the store they name.

Flask-free on purpose: the event-loop door (:mod:`.door_async`) answers plain API requests
with this runtime alone, and the Flask app (:func:`.app.create_app`) is built on the same
runtime only when a request needs it (the admin API, odd requests), so a mock that serves
only plain requests never imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import MockConfig
from ..runtime import MockRuntime
from ..state.connect import open_store
from ..state.lanes import LaneStore
from ..state.store import InMemoryStore, Store

__all__ = ["build_runtime", "is_remote", "store_for"]


def store_for(settings: MockConfig) -> Store:
    """The store the settings ask for: a ready one, Redis, lanes, or plain memory.

    :raises StateError: for a ``state`` URL that cannot be used.
    """
    if settings.store is not None:
        return settings.store
    opened = open_store(
        settings.state,
        settings.namespace,
        journal_size=settings.journal_size,
        ledger_keys=settings.ledger_keys,
        timeout_s=settings.redis_timeout_s,
    )
    if opened is not None:
        return opened
    memory = InMemoryStore(journal_size=settings.journal_size, ledger_keys=settings.ledger_keys)
    if settings.workers > 1 and settings.lane_dir is not None:
        return LaneStore(memory, settings.lane_dir, settings.workers)
    return memory


def build_runtime(
    config: MockConfig | Mapping[str, Any] | None = None, *, upstream_key: str | None = None
) -> MockRuntime:
    """The runtime for ``config``: its store opened, every scenario read and compiled, and
    with ``upstream`` its guard proxy (docs/proxy.md).

    :param upstream_key: the proxy's key (default: ``JUHE_KEY`` in the environment).
    :raises ConfigError: for an invalid scenario.
    :raises SettingsError: for a setting that cannot be used (the proxy without a key).
    :raises StateError: for a ``state`` URL that cannot be used.
    """
    settings = MockConfig.of(config)
    runtime = MockRuntime(settings, store_for(settings))
    if settings.upstream is not None:
        from ..proxy.setup import build_proxy

        runtime.proxy = build_proxy(
            settings, runtime.store, upstream_key, stopping=lambda: runtime.stopping
        )
    return runtime


def is_remote(store: Store) -> bool:
    """True for a store behind a network round trip (Redis): its calls block, so the
    event-loop door makes them on a thread rather than on the loop."""
    return getattr(store, "url", None) is not None
