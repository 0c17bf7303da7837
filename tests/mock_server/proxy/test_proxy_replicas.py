"""Two guard proxies (two ``juhe-mock --upstream`` processes) on one Redis share the cache
and the budget exactly: what one paid for, the other answers from the cache; together
they forward no more than the budget, however the lookups are spread and timed."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis

from ...helpers.leaks import SESSION
from ...helpers.redis import RedisServer, namespace
from ...helpers.served import ServedMock
from ...helpers.standin import STAND_IN_KEY, StandIn
from .conftest import ask


@contextmanager
def replicas(
    tmp_path: Path, redis_url: str, stand_in: StandIn, *extra: str
) -> Iterator[list[ServedMock]]:
    SESSION.add_secret(STAND_IN_KEY)
    shared = ["--upstream", stand_in.url, "--state", redis_url, "--namespace", namespace(), *extra]
    with ExitStack() as stack:
        yield [stack.enter_context(ServedMock(*shared, env={"JUHE_KEY": STAND_IN_KEY}))
               for _ in range(2)]  # fmt: skip


def digests(n: int, salt: str) -> list[str]:
    return [hashlib.sha256(f"{salt}{i}".encode()).hexdigest() for i in range(n)]


def test_two_replicas_share_the_cache(tmp_path: Path, redis_url: str, stand_in: StandIn) -> None:
    hashes = digests(10, "cache")
    with replicas(tmp_path, redis_url, stand_in) as (one, two):
        ways = [ask((one, two)[i % 3 % 2], hashes[i % 10]).headers["X-Juhe-Proxy"]
                for i in range(100)]  # fmt: skip
        usages = [one.usage, two.usage]
    assert len(stand_in.calls) == 10 and ways.count("paid") == 10 and ways.count("cached") == 90
    assert usages[0]["upstream"] == usages[1]["upstream"]  # one state, seen from both
    assert usages[0]["billable"] == 10


def test_two_replicas_keep_one_budget_under_concurrent_load(
    tmp_path: Path, redis_url: str, stand_in: StandIn
) -> None:
    stand_in.delay = 0.05
    hashes = digests(24, "budget")
    ways: list[str] = []
    lock = threading.Lock()
    with replicas(tmp_path, redis_url, stand_in, "--budget-per-day", "3") as pair:

        def lookups(replica: ServedMock, mine: list[str]) -> None:
            for digest in mine:
                way = ask(replica, digest).headers["X-Juhe-Proxy"]
                with lock:
                    ways.append(way)

        threads = [threading.Thread(target=lookups, args=(pair[t % 2], hashes[t::6]))
                   for t in range(6)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        budget = pair[1].usage["budget"]
    assert stand_in.billed == 3 == len(stand_in.calls)  # exactly the budget, not one more
    assert ways.count("paid") == 3 and ways.count("refused") == 21
    assert budget["where"] == "redis" and budget["day"]["spent"] == 3


def test_concurrent_lookups_of_one_hash_on_both_replicas_pay_once(
    tmp_path: Path, redis_url: str, stand_in: StandIn
) -> None:
    stand_in.delay = 0.3
    (digest,) = digests(1, "one")
    ways: list[str] = []
    with replicas(tmp_path, redis_url, stand_in) as pair:
        threads = [threading.Thread(target=lambda r=pair[t % 2]: ways.append(
            ask(r, digest).headers["X-Juhe-Proxy"])) for t in range(8)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(stand_in.calls) == 1 and sorted(ways) == ["cached"] * 7 + ["paid"]


def test_a_wiped_redis_refuses_rather_than_forget_the_spend(
    tmp_path: Path, redis_server: RedisServer, stand_in: StandIn
) -> None:
    url = redis_server.url(db=7)  # a database of its own: flushing it touches no other test
    with replicas(tmp_path, url, stand_in, "--budget-per-day", "2") as (one, _):
        first = ask(one, digests(1, "wiped")[0])
        redis.Redis.from_url(url).flushdb()
        refused = ask(one, digests(1, "after")[0])
        reset = one.admin("POST", "/reset")
        again = ask(one, digests(1, "afresh")[0])
    assert first.headers["X-Juhe-Proxy"] == "paid"
    assert refused.status_code == 503 and refused.json()["error_code"] == 10014
    assert "is gone" in refused.headers["X-Juhe-Mock-Error"]
    # the lookup after the wipe was not forwarded; after the reset the proxy serves again
    assert stand_in.mobiles() == [digests(1, "wiped")[0], digests(1, "afresh")[0]]
    assert reset.status_code == 200 and again.headers["X-Juhe-Proxy"] == "paid"


def test_a_proxy_with_two_workers_on_redis_keeps_one_cache_and_budget(
    tmp_path: Path, redis_url: str, stand_in: StandIn
) -> None:
    SESSION.add_secret(STAND_IN_KEY)
    args = ["--upstream", stand_in.url, "--state", redis_url, "--namespace", namespace(),
            "--workers", "2", "--budget-per-day", "4"]  # fmt: skip
    hashes = digests(6, "workers")
    with ServedMock(*args, env={"JUHE_KEY": STAND_IN_KEY}) as proxy:
        ways = [ask(proxy, hashes[i % 6]).headers["X-Juhe-Proxy"] for i in range(12)]
        usage = proxy.usage
    assert len(stand_in.calls) == 4 == stand_in.billed
    assert ways.count("paid") == 4 and ways.count("cached") == 4 and ways.count("refused") == 4
    assert usage["upstream"]["paid"] == 4 and usage["budget"]["day"]["spent"] == 4
