"""Orderid lanes: several workers with memory state never hand out the same orderid."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.state.lanes import LaneStore, claim_lane
from mock_server.state.orderids import OrderIds
from mock_server.state.store import ORDERID_PREFIX, InMemoryStore

SECOND = 1_800_000_000


def test_lanes_split_each_second_between_workers(tmp_path: Path) -> None:
    one = LaneStore(InMemoryStore(), str(tmp_path), 2)
    two = LaneStore(InMemoryStore(), str(tmp_path), 2)
    assert {one.lane, two.lane} == {0, 1}
    key = f"{ORDERID_PREFIX}{SECOND}"
    values = [store.incr(key) for store in (one, two) for _ in range(50)]
    assert len(set(values)) == 100
    assert sorted(values) == list(range(1, 101))
    one.close()
    two.close()


def test_no_lane_left_is_an_error(tmp_path: Path) -> None:
    held = LaneStore(InMemoryStore(), str(tmp_path), 1)
    assert held.lane == 0  # a lane is claimed by the first process that asks for it
    with pytest.raises(RuntimeError, match="no free orderid lane"):
        claim_lane(str(tmp_path), 1, wait_s=0.1)
    held.close()


def test_replacement_worker_skips_seconds_its_lane_used(tmp_path: Path) -> None:
    first = LaneStore(InMemoryStore(), str(tmp_path), 1)
    assert first.incr(f"{ORDERID_PREFIX}{SECOND}") == 1
    first.close()  # as when the worker dies: the kernel frees its lock
    second = LaneStore(InMemoryStore(), str(tmp_path), 1)
    assert second.incr(f"{ORDERID_PREFIX}{SECOND}") > 10_000  # that second is spent
    assert second.incr(f"{ORDERID_PREFIX}{SECOND + 1}") == 1
    ids = OrderIds(second, clock=lambda: float(SECOND))
    assert ids.next().endswith("0001")  # moved on to SECOND + 1, whose id 0 is taken
    second.close()


def test_other_counters_pass_through(tmp_path: Path) -> None:
    store = LaneStore(InMemoryStore(), str(tmp_path), 3)
    assert store.incr("quota:x", 2) == 2
    assert store.take_if_below("quota:x", 3) is True
    assert store.get("quota:x") == 3
    store.close()
