"""The store contract: what every Store implementation must do, exactly and atomically.

Another backend joins these tests by adding a factory to ``STORE_FACTORIES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mock_server.state.store import ORDERID_PREFIX, InMemoryStore, Store

STORE_FACTORIES: dict[str, Callable[[], Store]] = {
    "memory": lambda: InMemoryStore(journal_size=5),
}


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest) -> Store:
    made = STORE_FACTORIES[request.param]()
    made.reset()
    return made


def _hammer(n_threads: int, calls: int, work: Callable[[], object]) -> list[object]:
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(n_threads)

    def run() -> None:
        start.wait()
        mine = [work() for _ in range(calls)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_in_memory_store_satisfies_protocol() -> None:
    assert isinstance(InMemoryStore(), Store)


def test_incr_counts_from_zero(store: Store) -> None:
    assert store.get("a") == 0
    assert store.incr("a") == 1
    assert store.incr("a", 5) == 6
    assert store.get("a") == 6


def test_incr_under_threads_gives_every_value_once(store: Store) -> None:
    values = _hammer(8, 200, lambda: store.incr("n"))
    assert sorted(values) == list(range(1, 1601))  # type: ignore[type-var]


def test_take_if_below_stops_at_limit(store: Store) -> None:
    assert [store.take_if_below("q", 3) for _ in range(5)] == [True, True, True, False, False]
    assert store.get("q") == 3


def test_take_if_below_is_exact_under_8_threads(store: Store) -> None:
    taken = _hammer(8, 50, lambda: store.take_if_below("quota", 137))
    assert taken.count(True) == 137
    assert store.get("quota") == 137


def test_window_hit_allows_limit_per_window(store: Store) -> None:
    hits = [store.window_hit("ip", 1.0, 2, 100.1) for _ in range(3)]
    assert hits == [True, True, False]
    # The next window starts afresh.
    assert store.window_hit("ip", 1.0, 2, 101.0) is True


def test_window_hit_keys_are_independent(store: Store) -> None:
    assert store.window_hit("a", 10.0, 1, 5.0) is True
    assert store.window_hit("b", 10.0, 1, 5.0) is True
    assert store.window_hit("a", 10.0, 1, 5.0) is False


def test_journal_is_bounded_ring_newest_last(store: Store) -> None:
    for i in range(7):
        store.journal_append({"i": i})
    assert [e["i"] for e in store.journal_list()] == [2, 3, 4, 5, 6]
    store.journal_clear()
    assert store.journal_list() == []


def test_journal_list_is_a_copy(store: Store) -> None:
    store.journal_append({"i": 1})
    store.journal_list()[0]["i"] = 99
    assert store.journal_list() == [{"i": 1}]


def test_ledger_counts_by_key_and_code(store: Store) -> None:
    store.ledger_add("aaaa1111", "3")
    store.ledger_add("aaaa1111", "5")
    store.ledger_add("bbbb2222", "3")
    assert store.ledger_snapshot() == {
        "billable": 3,
        "by_key": {"aaaa1111": 2, "bbbb2222": 1},
        "by_code": {"3": 2, "5": 1},
    }


def test_reset_clears_all_but_orderid_counters(store: Store) -> None:
    store.incr("times:r1")
    store.incr(ORDERID_PREFIX + "20250101000000", ttl_s=5)
    store.take_if_below("quota:x", 5)
    store.window_hit("rate:ip", 1.0, 5, 1.0)
    store.journal_append({"i": 1})
    store.ledger_add("aaaa1111", "3")
    store.reset()
    assert store.get("times:r1") == 0
    assert store.get("quota:x") == 0
    assert store.get(ORDERID_PREFIX + "20250101000000") == 1
    assert store.window_hit("rate:ip", 1.0, 1, 1.0) is True
    assert store.journal_list() == []
    assert store.ledger_snapshot() == {"billable": 0, "by_key": {}, "by_code": {}}


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
