"""``juhe-mock``: a faithful fake of Juhe's 在网时长 sha256 (China Unicom) API.

In-process use: ``create_app(config)`` builds the WSGI app; ``MockServer`` serves it on a
free loopback port in a thread. Scenario documents are described in ``docs/scenarios.md``.
"""

from __future__ import annotations

from .app import create_app
from .config import ConfigError
from .runtime import MockConfig, MockRuntime
from .server import MockServer
from .store import InMemoryStore, Store

__all__ = [
    "ConfigError",
    "InMemoryStore",
    "MockConfig",
    "MockRuntime",
    "MockServer",
    "Store",
    "create_app",
]
