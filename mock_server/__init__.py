"""``juhe-mock``: a faithful fake of Juhe's 在网时长 sha256 (China Unicom) API.

In-process use: ``create_app(config)`` builds the WSGI app; ``MockServer`` serves it on a
free loopback port in a thread. Scenario documents are described in ``docs/scenarios.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import ConfigError
    from .runtime import MockConfig, MockRuntime
    from .server import MockServer
    from .store import InMemoryStore, Store

#: Where each public name lives. They are imported on first use: pytest imports this
#: package in every run (the ``juhe`` plugin, ``pytest11``), and a run that never asks for
#: the mock should not pay for importing Flask and waitress.
_HOMES = {
    "ConfigError": "config",
    "InMemoryStore": "store",
    "MockConfig": "runtime",
    "MockRuntime": "runtime",
    "MockServer": "server",
    "Store": "store",
    "create_app": "app",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ConfigError",
    "InMemoryStore",
    "MockConfig",
    "MockRuntime",
    "MockServer",
    "Store",
    "create_app",
]
