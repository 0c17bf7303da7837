"""``juhe-mock``: a faithful fake of Juhe's 在网时长 sha256 (China Unicom) API.

In-process use: ``create_app(config)`` builds the WSGI app; ``MockServer`` serves it on a
free loopback port in a thread. A mock in another process: ``AdminClient(url)``. Scenario
documents are described in ``docs/scenarios.md``.

The rooms follow one request's way (``docs/architecture.md``): ``web/`` is where it enters
and its bytes are made, ``engine.py`` decides it, ``state/`` keeps what it changes,
``scenario/`` is the language the decisions are written in, ``serve/`` runs it all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .admin_client import AdminClient, AdminError
    from .config import MockConfig, SettingsError
    from .runtime import MockRuntime
    from .scenario.errors import ConfigError
    from .serve.server import MockServer
    from .state.store import InMemoryStore, StateUnavailable, Store
    from .web.app import create_app

#: Where each public name lives. They are imported on first use: pytest imports this
#: package in every run (the ``juhe`` plugin, ``pytest11``), and a run that never asks for
#: the mock should not pay for importing Flask and waitress.
_HOMES = {
    "AdminClient": "admin_client",
    "AdminError": "admin_client",
    "ConfigError": "scenario.errors",
    "InMemoryStore": "state.store",
    "MockConfig": "config",
    "MockRuntime": "runtime",
    "MockServer": "serve.server",
    "SettingsError": "config",
    "StateUnavailable": "state.store",
    "Store": "state.store",
    "create_app": "web.app",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AdminClient",
    "AdminError",
    "ConfigError",
    "InMemoryStore",
    "MockConfig",
    "MockRuntime",
    "MockServer",
    "SettingsError",
    "StateUnavailable",
    "Store",
    "create_app",
]
