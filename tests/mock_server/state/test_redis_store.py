"""What only RedisStore has: namespaces, a URL, a clear error when Redis is away."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from contract import PATH
from mock_server import MockServer
from mock_server.state.connect import StateError, open_store
from mock_server.state.redis_store import RedisStore, redact_url
from mock_server.state.store import StateUnavailable

from ...helpers.answers import check_body
from ...helpers.processes import free_port, stop_process
from ...helpers.redis import RedisServer, namespace, redis_executable, start_redis
from ...helpers.threads import flat, on_threads


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
            assert len(keys) == 8  # the seven above and the namespace marker
            assert f"juhe-mock:{name}:state" in keys
            assert client.ttl(f"juhe-mock:{name}:c:orderid:1") > 0
            assert client.ttl(f"juhe-mock:{name}:c:rate:ip@0") > 0
            assert client.type(f"juhe-mock:{name}:journal") == "stream"
            store.reset()
            assert set(client.scan_iter(match=f"juhe-mock:{name}:*")) == {
                f"juhe-mock:{name}:c:orderid:1",
                f"juhe-mock:{name}:state",  # reset marks the namespace afresh
            }
        finally:
            client.close()
    finally:
        store.close()


def test_unreachable_redis_is_a_clear_error() -> None:
    url = f"redis://user:s3cret-pw@127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable) as caught:
        RedisStore(url, timeout_s=1.0)
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
def test_open_store_refuses_bad_urls(url: str, why: str) -> None:
    with pytest.raises(StateError, match=why):
        open_store(url, "default")


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

    from mock_server.state.orderids import OrderIds

    name = namespace()
    stores = [RedisStore(redis_server.url(), name, orderid_block=16) for _ in range(2)]
    each = [store for store in stores for _ in range(4)]

    def worker(index: int) -> list[str]:
        orderids = OrderIds(each[index], clock=lambda: 1_800_000_000.0)
        return [orderids.next() for _ in range(150)]

    try:
        ids = flat(on_threads(len(each), worker, together=False, timeout=60))
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
        open_store("redis://127.0.0.1:6379/0", "default")


@pytest.mark.subprocess
def test_mock_server_imports_without_the_redis_package() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import mock_server, mock_server.serve.cli, mock_server.serve.workers\n"
        "import mock_server.state.redis_store\n"
        "from mock_server import MockServer\n"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def _build_with_store(url: str) -> tuple[str, Any]:
    from mock_server import create_app

    return "test-client", create_app({"store": RedisStore(url, namespace())})


def _build_with_state(url: str) -> tuple[str, Any]:
    from mock_server import MockConfig, create_app

    return "test-client", create_app(MockConfig(state=url, namespace=namespace()))


def _serve_with_store(url: str) -> tuple[str, Any]:
    return "server", MockServer(store=RedisStore(url, namespace()))


def _serve_with_state(url: str) -> tuple[str, Any]:
    return "server", MockServer(state=url, namespace=namespace())


@pytest.mark.redis
@pytest.mark.parametrize(
    "build",
    [_build_with_store, _build_with_state, _serve_with_store, _serve_with_state],
    ids=["create_app-store", "create_app-state", "MockServer-store", "MockServer-state"],
)
def test_redis_lost_is_a_503_whichever_way_the_app_was_built(
    tmp_path: Path, build: Callable[[str], tuple[str, Any]]
) -> None:
    """create_app and MockServer answer a Redis failure as the CLI does (a 503, not a 500)."""
    own = start_redis(redis_executable(), tmp_path / "r.log")
    kind, made = build(own.url())
    params = {"key": "k", "mobile": "5" * 64}
    try:
        if kind == "server":
            made.start()
            get = lambda path, **kw: requests.get(made.url + path, timeout=30, **kw)  # noqa: E731
        else:
            client = made.test_client()
            get = lambda path, **kw: client.get(path, query_string=kw.get("params"))  # noqa: E731
        first = get(PATH, params=params)
        assert first.status_code == 200
        check_body(first.json() if kind == "server" else first.get_json())
        stop_process(own.proc)
        api = get(PATH, params=params)
        assert api.status_code == 503
        body = api.json() if kind == "server" else api.get_json()
        check_body(body)
        assert body["error_code"] == 10014  # the API's own shape on the API path
        assert "Redis at redis://127.0.0.1:" in api.headers["X-Juhe-Mock-Error"]
        admin = get("/__admin/usage")
        assert admin.status_code == 503
        admin_body = admin.json() if kind == "server" else admin.get_json()
        assert admin_body["error"] == "state_unavailable"
    finally:
        if kind == "server":
            made.stop()
        stop_process(own.proc)
