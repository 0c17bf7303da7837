"""What only InMemoryStore has: it forgets counters past their time to live, refuses an empty
journal and bounds its cache. What every store must do is
tests/mock_server/state/test_store_contract.py."""

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


def test_the_memory_cache_is_bounded_the_expired_and_oldest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mock_server.state import store as module

    monkeypatch.setattr(module, "MAX_CACHE_ENTRIES", 10)
    memory = InMemoryStore()
    memory.cache_put("short", "s", 1, now=0.0)  # expired by the time the cache is full
    for i in range(9):
        memory.cache_put(f"k{i}", str(i), 100, now=0.0)
    memory.cache_put("new", "n", 100, now=5.0)  # full: "short" goes, the oldest after it
    kept = [k for k in ["short", *(f"k{i}" for i in range(9)), "new"]
            if memory.cache_get(k, 6.0) is not None]  # fmt: skip
    assert len(kept) <= 10 and "short" not in kept and kept[-1] == "new"
    assert kept == [f"k{i}" for i in range(9 - len(kept) + 1, 9)] + ["new"]
    assert memory.cache_get("new", 105.0) is None  # its time is over
