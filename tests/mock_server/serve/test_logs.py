"""juhe-mock's log writer: the same lines as the log records it replaced, byte for byte, in
order with the server's own lines, none lost at the end.

(How much cheaper it is is measured in ``bench/run --profile``, never asserted here.)"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from contract import PATH, mobile_sha256
from mock_server.config import MockConfig
from mock_server.serve.logs import SERVE_LOG, LogWriter
from mock_server.web.door_async import MockAsgi
from mock_server.web.setup import build_runtime

from ...helpers.logs import configured_logs


def _old_text(entry: dict[str, Any]) -> str:
    """The text line as the log record's formatter made it before the writer (verbatim)."""
    outcome = entry["outcome"]
    answer = (outcome["fault"] and f"fault={outcome['fault']}") or f"{outcome['error_code']}"
    if outcome["code"] is not None:
        answer += f" code={outcome['code']}"
    mobile = entry["mobile"][:12] + "…" if entry["mobile"] else "-"
    return (
        f"{entry['time']} {entry['ip']} {entry['method']} key={entry['key'] or '-'} "
        f"mobile={mobile} -> {answer} rule={entry['rule'] or '-'} "
        f"{entry['latency_ms']}ms"
    )


_OLD: dict[str, Callable[[dict[str, Any]], str]] = {
    "text": _old_text,
    "json": lambda entry: json.dumps(entry, ensure_ascii=False),
}


_SCENARIO = {
    "rules": [
        {"name": "slow-one", "when": {"key": "slow-key"}, "then": {"latency": 0.001}},
        {"name": "boom", "when": {"key": "boom-key"}, "then": {"fault": "status", "status": 503}},
    ]
}


def _requests() -> list[tuple[str, bytes]]:
    good = mobile_sha256("13000000003")
    return [
        ("GET", f"key=k1&mobile={good}".encode()),
        ("GET", f"key=k1&mobile={good}&callback=cb".encode()),
        ("GET", b"key=&mobile=x"),
        ("GET", b"mobile=13812345678&key=k2"),
        ("GET", f"key=slow-key&mobile={good.upper()}".encode()),
        ("GET", f"key=boom-key&mobile={good}".encode()),
        ("POST", f"key=k3&mobile={good}&%E6%89%8B=1".encode()),
    ]


async def _serve_all(app: MockAsgi) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    for method, query in _requests():
        scope = {
            "type": "http", "method": method, "path": PATH, "query_string": query,
            "headers": [(b"host", b"mock")], "client": ("127.0.0.1", 5000),
        }  # fmt: skip
        await app(scope, receive, send)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_lines_are_the_old_records_bytes_with_the_server_lines_in_order(fmt: str) -> None:
    import asyncio

    runtime = build_runtime(MockConfig(scenarios=[_SCENARIO]))
    with configured_logs(fmt) as (stream, flush):
        SERVE_LOG.info("juhe-mock: before %d", 1)
        asyncio.run(_serve_all(MockAsgi(runtime)))
        SERVE_LOG.error("juhe-mock: after")
        flush()
        written = stream.getvalue()
    entries = runtime.requests()
    assert len(entries) == len(_requests())
    if fmt == "text":
        first, last = "juhe-mock: before 1", "juhe-mock: after"
    else:
        first = json.dumps({"level": "info", "message": "juhe-mock: before 1"})
        last = json.dumps({"level": "error", "message": "juhe-mock: after"})
    expected = [first, *(_OLD[fmt](entry) for entry in entries), last]
    assert written == "\n".join(expected) + "\n"


def test_the_writer_writes_a_batch_at_a_time_and_nothing_is_lost_at_the_end() -> None:
    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Counting.writes += 1
            return super().write(text)

    stream = Counting()
    writer = LogWriter(stream, every_s=0.05)
    writer.start()
    for n in range(500):
        writer.push(f"line {n}")
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 500 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "".join(f"line {n}\n" for n in range(500))
    assert Counting.writes < 10  # 500 lines pushed at once go out in one or two writes
    writer.push("pending at the end")
    writer.flush()
    writer.push("after the end")
    assert stream.getvalue().endswith("line 499\npending at the end\nafter the end\n")


def test_a_broken_stream_is_not_the_requests_problem() -> None:
    stream = io.StringIO()
    stream.close()
    writer = LogWriter(stream)
    writer.push("lost")
    writer.flush()  # no exception: a closed stderr must not stop the server
    writer.push("also lost")
