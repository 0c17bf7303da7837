"""The serving model's promises, against ``juhe-mock`` itself (one process, the default).

No client starves the others (stalled bodies, idle and slowloris connections), bodies are
bounded whatever their transfer encoding, delayed answers never queue, a drop is exact,
and c=256 is served without an error. Every bound below is a liveness bound ("within d +
a margin"), never a speed claim; every API body is validated in strict mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from contract import PATH, magic_number, mobile_sha256

from ...helpers.answers import check_answer
from ...helpers.rawhttp import build, parse
from ...helpers.served import ServedMock

pytestmark = pytest.mark.subprocess

HASH = mobile_sha256(magic_number("3"))
TARGET = f"{PATH}?key=k&mobile={HASH}".encode()
FORM = b"application/x-www-form-urlencoded"
#: The bound on a normal answer while other clients misbehave (a loaded 2-core CI box).
ANSWER_BOUND_S = 3.0
SCENARIO = {
    "rules": [
        {"when": {"key": "slow"}, "then": {"latency": 1.0}},
        {"when": {"key": "drop"}, "then": {"fault": "drop"}},
    ]
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    path = tmp_path_factory.mktemp("serving") / "scenario.json"
    path.write_text(json.dumps(SCENARIO), encoding="utf-8")
    args = ["--scenarios", str(path), "--body-timeout", "2", "--idle-timeout", "2"]
    with ServedMock(*args) as mock:
        yield mock


def _port(mock: ServedMock) -> int:
    return int(mock.url.rsplit(":", 1)[1])


def _normal_answer(mock: ServedMock) -> float:
    """One normal request on a fresh connection: its answer is right; returns the time."""
    began = time.monotonic()
    response = requests.get(mock.url + PATH, params={"key": "k", "mobile": HASH}, timeout=10)
    took = time.monotonic() - began
    body = check_answer(response.status_code, response.headers["Content-Type"], response.content)
    assert body["error_code"] == 0
    return took


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _stalled_body(port: int) -> socket.socket:
    """Headers announcing 100 bytes of form body, then 6 of them, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM.decode()}\r\n"
    sock.sendall(head.encode() + b"Content-Length: 100\r\n\r\nkey=k&")
    return sock


def test_stalled_bodies_and_idle_connections_starve_nobody(served: ServedMock) -> None:
    port = _port(served)
    stalled = [_stalled_body(port) for _ in range(8)]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
    try:
        began = time.monotonic()
        times = [_normal_answer(served) for _ in range(10)]
        assert max(times) < ANSWER_BOUND_S, times
        # The stalled bodies are answered (408, in the API's shape) once the body timeout
        # (2 s) is up; not after their clients give up.
        for sock in stalled:
            answer = parse(_read_all(sock))
            assert answer.status == 408
            body = check_answer(200, answer.headers["content-type"], answer.body)
            assert body["error_code"] == 234802
        assert time.monotonic() - began < 2 + ANSWER_BOUND_S
        # An idle connection that never spoke is still no obstacle: service goes on.
        assert _normal_answer(served) < ANSWER_BOUND_S
    finally:
        for sock in stalled + idle:
            sock.close()
    assert all(entry["method"] == "GET" for entry in served.requests)  # none billed/decided


def test_idle_keep_alive_is_closed_after_the_idle_timeout(served: ServedMock) -> None:
    with socket.create_connection(("127.0.0.1", _port(served)), timeout=10) as sock:
        sock.sendall(b"GET " + TARGET + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        began = time.monotonic()
        assert _read_all(sock) == b""  # closed by the server
        assert time.monotonic() - began < 2 + ANSWER_BOUND_S


def test_slowloris_does_not_starve_normal_clients(served: ServedMock) -> None:
    port = _port(served)
    slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(100)]
    stop = threading.Event()
    head = b"GET " + TARGET + b" HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200

    def drip() -> None:  # one byte per connection every 0.2 s, never the end of the head
        for i in range(len(head)):
            if stop.wait(0.2):
                return
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(head[i : i + 1])

    dripper = threading.Thread(target=drip)
    dripper.start()
    try:
        times = []
        for _ in range(8):
            times.append(_normal_answer(served))
            time.sleep(0.3)
        assert max(times) < ANSWER_BOUND_S, times
    finally:
        stop.set()
        dripper.join(timeout=10)
        for sock in slow:
            sock.close()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return _read_all(sock)


def _chunked(body: bytes, size: int = 65536) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def _post(headers: list[tuple[bytes, bytes]], body: bytes, *, path: bytes = PATH.encode()) -> bytes:
    return build(b"POST", path, [(b"Content-Type", FORM), *headers], body, content_length=False)


@pytest.mark.parametrize(
    "framing", ["content-length", "chunked", "announced-only"], ids=lambda f: f
)
def test_body_over_the_limit_is_413_in_the_api_shape(served: ServedMock, framing: str) -> None:
    big = b"key=k&mobile=" + HASH.encode() + b"&x=" + b"a" * (2 * 1024 * 1024)
    if framing == "chunked":
        request = _post([(b"Transfer-Encoding", b"chunked")], _chunked(big))
    elif framing == "content-length":
        request = _post([(b"Content-Length", b"%d" % len(big))], big)
    else:  # announce 50 MiB, send a little: refused before the body is read
        request = _post([(b"Content-Length", b"%d" % (50 * 1024 * 1024))], big[:100])
    before = served.usage["billable"]
    answer = parse(_raw(_port(served), request))
    assert answer.status == 413
    body = check_answer(200, answer.headers["content-type"], answer.body)
    assert body["error_code"] == 234802 and body["reason"] == "参数错误:请求体过大"
    assert served.usage["billable"] == before  # not answered, not billed


def test_chunked_form_within_the_limit_is_answered(served: ServedMock) -> None:
    form = b"key=k&mobile=" + HASH.encode()
    answer = parse(
        _raw(_port(served), _post([(b"Transfer-Encoding", b"chunked")], _chunked(form, 7)))
    )
    body = check_answer(answer.status, answer.headers["content-type"], answer.body)
    assert body["error_code"] == 0


def test_admin_body_over_the_limit_is_413_in_the_admin_shape(served: ServedMock) -> None:
    big = b'{"rules": [], "x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    request = build(b"PUT", b"/__admin/scenarios", [(b"Transfer-Encoding", b"chunked")],
                    _chunked(big), content_length=False)  # fmt: skip
    answer = parse(_raw(_port(served), request))
    assert answer.status == 413
    assert json.loads(answer.body)["error"] == "request_entity_too_large"


@pytest.mark.parametrize("size_line", [b"zz", b"-1", b"5x", b""])
def test_malformed_chunking_is_a_400_never_an_answer(served: ServedMock, size_line: bytes) -> None:
    before = len(served.requests)
    body = size_line + b"\r\nkey=k\r\n0\r\n\r\n"
    answer = parse(_raw(_port(served), _post([(b"Transfer-Encoding", b"chunked")], body)))
    assert answer.status == 400, answer
    if answer.body:  # the mock's own answer (the server may refuse a broken head itself)
        parsed = check_answer(200, answer.headers["content-type"], answer.body)
        assert parsed["error_code"] == 234802
    assert len(served.requests) == before  # nothing was decided, journaled or billed


def test_64_delayed_answers_all_arrive_within_the_delay_plus_a_margin(served: ServedMock) -> None:
    delay, margin, count = 1.0, 2.0, 64
    barrier = threading.Barrier(count)

    def one() -> float:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            began = time.monotonic()
            response = session.get(served.url + PATH, params={"key": "slow", "mobile": HASH},
                                   timeout=30)  # fmt: skip
            took = time.monotonic() - began
        body = check_answer(response.status_code, response.headers["Content-Type"],
                            response.content)  # fmt: skip
        assert body["error_code"] == 0
        return took

    with ThreadPoolExecutor(count) as pool:
        times = list(pool.map(lambda _: one(), range(count)))
    assert min(times) >= delay * 0.95  # each one waited the delay
    assert max(times) < delay + margin, sorted(times)[-5:]  # and none waited behind another


def test_drop_is_exact_among_concurrent_connections_from_one_host(served: ServedMock) -> None:
    port = _port(served)
    slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(5)]
    slow_target = f"{PATH}?key=slow&mobile={HASH}".encode()
    try:
        for sock in slow:  # five answers in flight on this host's connections
            sock.sendall(b"GET " + slow_target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as dropped:
            target = f"{PATH}?key=drop&mobile={HASH}".encode()
            dropped.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_all(dropped) == b""  # closed with not a byte
        for sock in slow:  # and every other connection got its answer
            data = b""
            while b'"error_code":0}' not in data:
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200")
    finally:
        for sock in slow:
            sock.close()


async def _keep_alive_client(port: int, until: float, counts: dict[str, int]) -> None:
    request = b"GET " + TARGET + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < until and counts["answers"] < 20_000:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))  # fmt: skip
            body = await asyncio.wait_for(reader.readexactly(length), 10)
            if head.startswith(b"HTTP/1.1 200") and b'"error_code":0' in body:
                counts["answers"] += 1
                if counts["answers"] % 500 == 1:
                    check_answer(200, "application/json;charset=utf-8", body)
            else:
                counts["errors"] += 1
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        counts["errors"] += 1
    finally:
        writer.close()


def test_256_concurrent_keep_alive_clients_get_no_error(served: ServedMock) -> None:
    counts = {"answers": 0, "errors": 0}

    async def run() -> None:
        until = time.monotonic() + 3
        clients = [_keep_alive_client(_port(served), until, counts) for _ in range(256)]
        await asyncio.wait_for(asyncio.gather(*clients), 60)

    asyncio.run(run())
    assert counts["errors"] == 0, counts
    assert counts["answers"] >= 256


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_is_flat_over_a_soak_with_the_journal_on(served: ServedMock) -> None:
    def stretch(n: int) -> None:
        with requests.Session() as session:
            for i in range(n):
                params: dict[str, Any] = {"key": f"soak-{i % 50}", "mobile": HASH}
                response = session.get(served.url + PATH, params=params, timeout=10)
                assert response.status_code == 200
        assert len(served.requests) == 1000  # the journal is full, and stays at its bound

    pid = served.process.pid
    stretch(1500)  # fill the journal and every cache
    first = _rss_kib(pid)
    stretch(1500)
    second = _rss_kib(pid)
    stretch(1500)
    third = _rss_kib(pid)
    # Bounded: the last stretch adds (almost) nothing; an unbounded journal would add
    # about 1 KiB per request.
    assert third - second < 1024, (first, second, third)
