"""``juhe-mock``: a faithful fake of Juhe's 在网时长 sha256 (China Unicom) API."""

from __future__ import annotations

from .store import InMemoryStore, Store

__all__ = ["InMemoryStore", "Store"]
