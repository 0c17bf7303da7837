"""What only RedisStore has: namespaces, a URL, a clear error when Redis is away."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import redis

from mock_server import MockServer
from mock_server.redis_store import RedisStore, StateUnavailable, redact_url
from mock_server.workers import StateError, open_state

from .conftest import RedisServer, check_body, free_port, namespace


def test_namespaces_do_not_collide(redis_server: RedisServer) -> None:
    one = RedisStore(redis_server.url(), namespace())
    two = RedisStore(redis_server.url(), namespace())
    try:
        assert [one.take_if_below("quota:k", 2) for _ in range(3)] == [True, True, False]
        assert two.take_if_below("quota:k", 2) is True
        one.ledger_add("fp", "3")
        one.journal_append({"i": 1})
        assert two.ledger_snapshot()["billable"] == 0
        assert two.journal_list() == []
        two.reset()
        assert one.get("quota:k") == 2
        assert one.ledger_snapshot()["billable"] == 1
    finally:
        for store in (one, two):
            store.reset()
            store.close()


def test_every_key_lives_under_the_namespace(redis_server: RedisServer) -> None:
    name = namespace()
    store = RedisStore(redis_server.url(), name)
    try:
        store.incr("a")
        store.incr("orderid:1", ttl_s=60)
        store.window_hit("rate:ip", 10, 5, 1.0)
        store.journal_append({"i": 1})
        store.ledger_add("fp", "3")
        client = redis.Redis.from_url(redis_server.url(), decode_responses=True)
        try:
            keys = set(client.scan_iter(match=f"juhe-mock:{name}:*"))
            assert len(keys) == 7
            assert client.ttl(f"juhe-mock:{name}:c:orderid:1") > 0
            assert client.ttl(f"juhe-mock:{name}:c:rate:ip@0") > 0
            assert client.type(f"juhe-mock:{name}:journal") == "stream"
            store.reset()
            assert set(client.scan_iter(match=f"juhe-mock:{name}:*")) == {
                f"juhe-mock:{name}:c:orderid:1"
            }
        finally:
            client.close()
    finally:
        store.close()


def test_unreachable_redis_is_a_clear_error() -> None:
    url = f"redis://user:s3cret-pw@127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable) as caught:
        RedisStore(url, connect_timeout_s=1.0)
    message = str(caught.value)
    assert message.startswith("cannot use Redis at redis://user:***@127.0.0.1:")
    assert "s3cret-pw" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:6379/0", "is not a redis://HOST:PORT/DB URL"),
        ("redis://127.0.0.1:6379/notadb", "cannot use Redis"),
    ],
)
def test_open_state_refuses_bad_urls(url: str, why: str) -> None:
    with pytest.raises(StateError, match=why):
        open_state(url, "default")


@pytest.mark.parametrize("bad", ["", "has space", "a*b", "x" * 65, "-lead", "a:b"])
def test_bad_namespace_is_refused(redis_server: RedisServer, bad: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        RedisStore(redis_server.url(), bad)


def test_repr_and_messages_hide_the_password() -> None:
    assert redact_url("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"


def test_mock_server_in_process_on_redis_store(redis_server: RedisServer) -> None:
    import requests

    from contract import PATH, magic_number, mobile_sha256

    store = RedisStore(redis_server.url(), namespace())
    quota = {"keys": {"per_key": {"k": {"quota": 2}}}}
    try:
        with MockServer(quota, store=store) as mock:
            codes = []
            for _ in range(3):
                params = {"key": "k", "mobile": mobile_sha256(magic_number("3"))}
                body = requests.get(mock.url + PATH, params=params, timeout=10).json()
                check_body(body)
                codes.append(body["error_code"])
            assert codes == [0, 0, 10012]
            assert mock.usage["billable"] == 2
            assert len(mock.requests) == 3
            mock.reset()
            assert mock.usage["billable"] == 0
    finally:
        store.reset()
        store.close()


def test_orderid_blocks_stay_unique_across_stores_and_threads(redis_server: RedisServer) -> None:
    import threading

    from mock_server.wire import OrderIds

    name = namespace()
    stores = [RedisStore(redis_server.url(), name, orderid_block=16) for _ in range(2)]
    ids: list[str] = []
    lock = threading.Lock()

    def worker(store: RedisStore) -> None:
        orderids = OrderIds(store, clock=lambda: 1_800_000_000.0)
        mine = [orderids.next() for _ in range(150)]
        with lock:
            ids.extend(mine)

    try:
        threads = [threading.Thread(target=worker, args=(s,)) for s in stores for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(ids) == 1200
        assert len(set(ids)) == 1200
        assert all(re.fullmatch(r"J\d{18}", i) for i in ids)
        with pytest.raises(ValueError, match="orderid_block"):
            RedisStore(redis_server.url(), name, orderid_block=0)
    finally:
        for store in stores:
            store.reset()
            store.close()


def test_without_the_redis_package_state_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the extra were not installed
    with pytest.raises(StateError, match=r"pip install 'juhe-tenure-toolkit\[redis\]'"):
        open_state("redis://127.0.0.1:6379/0", "default")


def test_mock_server_imports_without_the_redis_package() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import mock_server, mock_server.cli, mock_server.workers, mock_server.redis_store\n"
        "from mock_server import MockServer\n"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"
