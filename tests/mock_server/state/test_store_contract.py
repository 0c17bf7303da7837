"""One contract for every Store: what each must do, exactly and atomically. The same tests
run on InMemoryStore, on LaneStore (memory state with several workers) and on RedisStore
(against a real redis-server), and a Hypothesis property runs random operations on memory
and Redis and demands the same answers.

Another store joins these tests as one more kind in ``make_store`` (docs/architecture.md,
"Where to add")."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.state.lanes import LaneStore
from mock_server.state.redis_store import RedisStore
from mock_server.state.store import (
    KEPT_PREFIX,
    ORDERID_PREFIX,
    OTHER_KEYS,
    InMemoryStore,
    Store,
)

from ...helpers.redis import RedisServer, namespace
from ...helpers.threads import flat, on_threads

StoreFactory = Callable[..., Store]


@pytest.fixture(params=["memory", "lanes", pytest.param("redis", marks=pytest.mark.redis)])
def make_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreFactory]:
    """A factory of fresh stores of one kind (``journal_size``, ``ledger_keys`` may be given)."""
    made: list[RedisStore] = []
    if request.param == "memory":
        yield lambda journal_size=1000, ledger_keys=1000: InMemoryStore(journal_size, ledger_keys)
        return
    if request.param == "lanes":
        lanes = str(tmp_path_factory.mktemp("lanes"))
        yield lambda journal_size=1000, ledger_keys=1000: LaneStore(
            InMemoryStore(journal_size, ledger_keys), lanes, 2
        )
        return
    server: RedisServer = request.getfixturevalue("redis_server")

    def factory(journal_size: int = 1000, ledger_keys: int = 1000) -> Store:
        store = RedisStore(
            server.url(), namespace(), journal_size=journal_size, ledger_keys=ledger_keys
        )
        made.append(store)
        return store

    yield factory
    for store in made:
        store.reset()
        store.close()


def test_store_satisfies_protocol(make_store: StoreFactory) -> None:
    assert isinstance(make_store(), Store)


def test_incr_counts_from_zero_and_get_reads(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.get("c") == 0
    assert store.incr("c") == 1
    assert store.incr("c", 5) == 6
    assert store.incr("c", ttl_s=60) == 7
    assert store.get("c") == 7
    assert store.get("other") == 0


def test_take_if_below_stops_at_limit(make_store: StoreFactory) -> None:
    store = make_store()
    assert [store.take_if_below("q", 3) for _ in range(5)] == [True, True, True, False, False]
    assert store.get("q") == 3
    assert store.take_if_below("zero", 0) is False


def test_take_if_below_exact_under_threads(make_store: StoreFactory) -> None:
    store = make_store()

    def work(_: int) -> list[bool]:
        return [store.take_if_below("quota:k", 37) for _ in range(25)]

    taken = flat(on_threads(8, work, together=False, timeout=30))
    assert len(taken) == 200
    assert taken.count(True) == 37
    assert store.get("quota:k") == 37


def test_take_if_below_is_exact_under_8_threads_at_once(make_store: StoreFactory) -> None:
    store = make_store()

    def work(_: int) -> list[bool]:
        return [store.take_if_below("quota", 137) for _ in range(50)]

    taken = flat(on_threads(8, work))
    assert taken.count(True) == 137
    assert store.get("quota") == 137


def test_incr_under_threads_gives_every_value_once(make_store: StoreFactory) -> None:
    store = make_store()
    values = flat(on_threads(8, lambda _: [store.incr("n") for _ in range(200)]))
    assert sorted(values) == list(range(1, 1601))


def test_window_hit_limits_each_window(make_store: StoreFactory) -> None:
    store = make_store()
    first = [store.window_hit("rate:ip", 10, 2, 100.0 + i) for i in range(3)]
    assert first == [True, True, False]
    assert store.window_hit("rate:ip", 10, 2, 110.0) is True  # a new window
    assert store.window_hit("rate:other", 10, 2, 105.0) is True


def test_window_hit_allows_limit_per_window(make_store: StoreFactory) -> None:
    store = make_store()
    hits = [store.window_hit("ip", 1.0, 2, 100.1) for _ in range(3)]
    assert hits == [True, True, False]
    # The next window starts afresh.
    assert store.window_hit("ip", 1.0, 2, 101.0) is True


def test_window_hit_keys_are_independent(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.window_hit("a", 10.0, 1, 5.0) is True
    assert store.window_hit("b", 10.0, 1, 5.0) is True
    assert store.window_hit("a", 10.0, 1, 5.0) is False


def test_journal_is_bounded_newest_last(make_store: StoreFactory) -> None:
    store = make_store(journal_size=3)
    for i in range(5):
        store.journal_append({"i": i, "text": "中文", "nested": {"a": [1, None]}})
    assert store.journal_list() == [
        {"i": i, "text": "中文", "nested": {"a": [1, None]}} for i in (2, 3, 4)
    ]
    store.journal_clear()
    assert store.journal_list() == []


def test_journal_is_bounded_ring_newest_last(make_store: StoreFactory) -> None:
    store = make_store(journal_size=5)
    for i in range(7):
        store.journal_append({"i": i})
    assert [e["i"] for e in store.journal_list()] == [2, 3, 4, 5, 6]
    store.journal_clear()
    assert store.journal_list() == []


def test_journal_list_is_a_copy(make_store: StoreFactory) -> None:
    store = make_store()
    store.journal_append({"i": 1})
    store.journal_list()[0]["i"] = 99
    assert store.journal_list() == [{"i": 1}]


def test_ledger_counts_per_key_and_code(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.ledger_snapshot() == {"billable": 0, "by_key": {}, "by_code": {}}
    for fp, code in [("aa", "3"), ("aa", "5"), ("bb", "3")]:
        store.ledger_add(fp, code)
    assert store.ledger_snapshot() == {
        "billable": 3,
        "by_key": {"aa": 2, "bb": 1},
        "by_code": {"3": 2, "5": 1},
    }


def test_reset_clears_all_but_orderid_counters(make_store: StoreFactory) -> None:
    store = make_store()
    store.incr("times:r")
    store.take_if_below("quota:k", 5)
    store.window_hit("rate:ip", 10, 1, 100.0)
    store.journal_append({"i": 1})
    store.ledger_add("aa", "3")
    order_key = f"{ORDERID_PREFIX}1700000000"
    store.incr(order_key, ttl_s=3600)
    store.reset()
    assert store.get("times:r") == 0
    assert store.get("quota:k") == 0
    assert store.window_hit("rate:ip", 10, 1, 100.0) is True
    assert store.journal_list() == []
    assert store.ledger_snapshot() == {"billable": 0, "by_key": {}, "by_code": {}}
    assert store.get(order_key) == 1


def test_settle_takes_the_quota_bills_and_journals_in_one_step(make_store: StoreFactory) -> None:
    store = make_store()
    ok, no = {"outcome": "ok"}, {"outcome": "refused"}
    assert store.settle({"outcome": "free"}) is True  # nothing billed, no quota
    assert [store.settle(ok, ("fp", "3"), ("quota:k", 2), no) for _ in range(3)] == [
        True, True, False,
    ]  # fmt: skip
    assert store.settle({"outcome": "fault"}, None, ("quota:k", 5)) is True  # no bill
    assert store.get("quota:k") == 3
    assert store.ledger_snapshot() == {"billable": 2, "by_key": {"fp": 2}, "by_code": {"3": 2}}
    assert store.journal_list() == [{"outcome": "free"}, ok, ok, no, {"outcome": "fault"}]
    assert store.settle(ok, ("fp", "3"), ("quota:zero", 0)) is False  # refused: entry kept
    assert store.journal_list()[-1] == ok and store.ledger_snapshot()["billable"] == 2


def test_settle_is_exact_under_threads(make_store: StoreFactory) -> None:
    store = make_store(journal_size=500)

    def work(t: int) -> list[bool]:
        return [
            store.settle({"t": t}, (f"fp{t}", "5"), ("quota:k", 61), {"t": -1}) for _ in range(40)
        ]

    taken = flat(on_threads(8, work, together=False, timeout=60))
    usage = store.ledger_snapshot()
    journal = store.journal_list()
    assert taken.count(True) == 61 == store.get("quota:k") == usage["billable"]
    assert sum(usage["by_key"].values()) == 61
    assert len(journal) == 320 and sum(1 for e in journal if e["t"] >= 0) == 61


def test_the_ledger_counts_a_bounded_number_of_keys(make_store: StoreFactory) -> None:
    store = make_store(ledger_keys=3)
    for i in range(10):
        store.ledger_add(f"fp{i}", "3")
        store.settle({"i": i}, (f"fp{i}", "5"))
    store.ledger_add("fp0", "3")  # a key counted one by one stays so
    usage = store.ledger_snapshot()
    assert usage["billable"] == 21 == sum(usage["by_key"].values())
    assert usage["by_key"] == {"fp0": 3, "fp1": 2, "fp2": 2, OTHER_KEYS: 14}
    assert usage["by_code"] == {"3": 11, "5": 10}
    store.reset()
    store.ledger_add("new", "3")
    assert store.ledger_snapshot()["by_key"] == {"new": 1}


# --- the guard proxy's state: spend counters, the cache, claims --------------------------


def test_take_if_all_below_takes_every_unit_or_none(make_store: StoreFactory) -> None:
    store = make_store()
    day, month = f"{KEPT_PREFIX}day", f"{KEPT_PREFIX}month"
    assert [store.take_if_all_below([(day, 2), (month, 3)], ttl_s=60) for _ in range(3)] == [
        None, None, 0,
    ]  # fmt: skip
    assert store.get(day) == 2 and store.get(month) == 2  # the refused one took nothing
    assert store.take_if_all_below([(f"{KEPT_PREFIX}other", 5), (month, 2)]) == 1
    assert store.get(f"{KEPT_PREFIX}other") == 0
    assert store.incr(day, -1) == 1  # a free answer gives its unit back
    assert store.take_if_all_below([(day, 2), (month, 3)]) is None
    assert store.get(month) == 3


def test_take_if_all_below_is_exact_under_threads(make_store: StoreFactory) -> None:
    store = make_store()

    def work(_: int) -> list[int | None]:
        return [store.take_if_all_below([(f"{KEPT_PREFIX}d", 23), (f"{KEPT_PREFIX}m", 50)])
                for _ in range(10)]  # fmt: skip

    taken = flat(on_threads(6, work, timeout=30))
    assert taken.count(None) == 23 == store.get(f"{KEPT_PREFIX}d") == store.get(f"{KEPT_PREFIX}m")


def test_the_cache_keeps_a_value_for_its_time_to_live(make_store: StoreFactory) -> None:
    store = make_store()
    now = time.time()
    assert store.cache_get("h1", now) is None
    store.cache_put("h1", '{"b": "中文"}', 0.3, now)
    store.cache_put("h2", "two", 60, now)
    assert store.cache_get("h1", now) == '{"b": "中文"}'
    time.sleep(0.4)
    assert store.cache_get("h1", time.time()) is None  # its time is over
    assert store.cache_get("h2", time.time()) == "two"
    store.cache_put("h2", "again", 60, time.time())
    assert store.cache_get("h2", time.time()) == "again"


def test_a_claim_is_held_once_until_released_or_lapsed(make_store: StoreFactory) -> None:
    store = make_store()
    now = time.time()
    assert store.claim("h", 60, now) is True
    assert store.claim("h", 60, now) is False
    store.release("h")
    assert store.claim("h", 0.2, time.time()) is True
    time.sleep(0.3)
    assert store.claim("h", 60, time.time()) is True  # the hold lapsed


def test_reset_keeps_the_spend_and_the_cache(make_store: StoreFactory) -> None:
    store = make_store()
    now = time.time()
    store.take_if_all_below([(f"{KEPT_PREFIX}day", 5)], ttl_s=3600)
    store.incr("upstream:paid")
    store.cache_put("h", "answer", 60, now)
    store.claim("c", 60, now)
    store.reset()
    assert store.get(f"{KEPT_PREFIX}day") == 1  # money spent stays spent
    assert store.cache_get("h", now) == "answer"  # and is not paid for again
    assert store.get("upstream:paid") == 0
    assert store.claim("c", 60, now) is True  # claims are cleared


# --- the two stores answer alike, operation by operation ---------------------------------

_KEYS = st.sampled_from(["a", "b", "quota:x", f"{ORDERID_PREFIX}1"])
_OPS = st.one_of(
    st.tuples(st.just("incr"), _KEYS, st.integers(1, 3)),
    st.tuples(st.just("get"), _KEYS),
    st.tuples(st.just("take"), _KEYS, st.integers(0, 4)),
    st.tuples(st.just("hit"), st.sampled_from(["r1", "r2"]), st.integers(1, 3),
              st.floats(0, 50, allow_nan=False)),
    st.tuples(st.just("append"), st.integers(0, 99)),
    st.tuples(st.just("journal")),
    st.tuples(st.just("ledger"), st.sampled_from(["f1", "f2", "f3"]), st.sampled_from(["1", "5"])),
    st.tuples(st.just("settle"), st.integers(0, 99), st.sampled_from([None, "f1", "f3"]),
              st.sampled_from([None, 0, 2])),
    st.tuples(st.just("usage")),
    st.tuples(st.just("reset")),
    st.tuples(st.just("take_all"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("cache"), st.sampled_from(["h1", "h2"]), st.sampled_from([None, "x", "y"])),
    st.tuples(st.just("claim"), st.sampled_from(["c1", "c2"]), st.booleans()),
)  # fmt: skip


def _apply(store: Store, op: tuple[Any, ...]) -> Any:
    name = op[0]
    if name == "incr":
        return store.incr(op[1], op[2])
    if name == "get":
        return store.get(op[1])
    if name == "take":
        return store.take_if_below(op[1], op[2])
    if name == "hit":
        return store.window_hit(op[1], 10, op[2], op[3])
    if name == "append":
        return store.journal_append({"n": op[1]})
    if name == "journal":
        return store.journal_list()
    if name == "ledger":
        return store.ledger_add(op[1], op[2])
    if name == "usage":
        return store.ledger_snapshot()
    if name == "settle":
        bill = (op[2], "3") if op[2] else None
        quota = ("quota:x", op[3]) if op[3] is not None else None
        return store.settle({"n": op[1]}, bill, quota, {"n": -op[1]})
    if name == "take_all":
        day, month = f"{KEPT_PREFIX}d", "quota:x"  # one kept by reset, one not
        return (store.take_if_all_below([(day, op[1]), (month, op[2])], 3600),
                store.get(day), store.get(month))  # fmt: skip
    if name == "cache":  # times far from any expiry: both stores keep what they hold
        if op[2] is not None:
            store.cache_put(op[1], op[2], 3600, time.time())
        return store.cache_get(op[1], time.time())
    if name == "claim":
        if op[2]:
            return store.claim(op[1], 3600, time.time())
        return store.release(op[1])
    return store.reset()


@settings(max_examples=30, deadline=None)
@given(ops=st.lists(_OPS, max_size=40))
def test_redis_store_answers_like_memory(redis_server: RedisServer, ops: list[Any]) -> None:
    memory = InMemoryStore(journal_size=4, ledger_keys=2)
    shared = RedisStore(redis_server.url(), namespace(), journal_size=4, ledger_keys=2)
    clock = 0.0
    try:
        for op in ops:
            if op[0] == "hit":
                # A clock moves forward: Redis forgets a window by time to live, memory when
                # the next one starts, which agree only when windows come in order.
                clock = max(clock, op[3])
                op = (*op[:3], clock)
            assert _apply(shared, op) == _apply(memory, op), op
    finally:
        shared.reset()
        shared.close()


def test_settle_from_many_threads_lands_exactly_in_another_processs_view(
    redis_server: RedisServer,
) -> None:
    # In place of the coalesced bills' test: each billed answer's bill and journal entry
    # (now with its quota unit) land together, seen from another store on the namespace.
    store = RedisStore(redis_server.url(), namespace())
    other = RedisStore(redis_server.url(), store.namespace)  # another process's view

    def request(i: int) -> None:  # what the mock does for one billed answer
        store.settle({"i": i + 1}, (f"fp{i % 3}", "5"), ("quota:k", 300), {"i": -i - 1})

    try:
        on_threads(
            8, lambda t: [request(t * 50 + i) for i in range(50)], together=False, timeout=60
        )
        usage = other.ledger_snapshot()
        assert usage["billable"] == 300 == other.get("quota:k")
        assert sum(usage["by_key"].values()) == 300 and usage["by_code"] == {"5": 300}
        journal = [e["i"] for e in RedisStore(redis_server.url(), store.namespace).journal_list()]
        assert len(journal) == 400
        assert sum(1 for i in journal if i > 0) == 300  # the others journaled as refused
    finally:
        store.reset()
        store.close()
        other.close()
