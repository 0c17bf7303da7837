"""What only InMemoryStore has: it forgets counters past their time to live, and refuses an
empty journal. What every store must do is tests/mock_server/state/test_store_contract.py."""

from __future__ import annotations

import pytest

from mock_server.state.store import ORDERID_PREFIX, InMemoryStore


def test_in_memory_store_forgets_old_ttl_counters() -> None:
    store = InMemoryStore()
    for second in range(200):
        store.incr(f"{ORDERID_PREFIX}{second}", ttl_s=5)
    assert store.get(f"{ORDERID_PREFIX}199") == 1
    assert store.get(f"{ORDERID_PREFIX}0") == 0


def test_in_memory_store_refuses_empty_journal() -> None:
    with pytest.raises(ValueError, match="journal_size"):
        InMemoryStore(journal_size=0)
