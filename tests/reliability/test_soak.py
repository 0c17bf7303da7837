"""A short soak in the suite: thousands of requests, and the journal stays a ring buffer.

The long run (200k requests, the process's memory over time) is ``bench/run --soak``.
Here the app is called in-process, the way a WSGI server calls it, so that a few thousand
requests take a second or two; tracemalloc then shows whether the mock's own code keeps
anything per request beyond the journal's bound. Free answers go to a fresh key each time,
so a per-key structure that is never trimmed would show up as growth.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import mock_server
from contract import PATH, magic_number, mobile_sha256
from mock_server.state.store import OTHER_KEYS
from mock_server.web.app import create_app, runtime_of

from ..helpers.answers import check_answer

JOURNAL_SIZE = 200
WARM_UP = 2 * JOURNAL_SIZE
MEASURED = 3000
#: What the mock's own code may retain over MEASURED requests once the journal is full:
#: a few small caches. An unbounded journal would retain ~MEASURED x 1 KiB.
GROWTH_LIMIT = 48 * 1024
PACKAGE = str(Path(mock_server.__file__).parent)
# Short keys on purpose: the session's leak detector keeps every long key it sees as a
# secret to look for, and that retention is the test's, not the mock's.
BILLABLE_KEYS = [f"b{n}" for n in range(5)]
HASHES = [mobile_sha256(magic_number(code)) for code in ("1", "3", "5", "99")]
FREE_HASH = mobile_sha256(magic_number("234803"))


def _caller(app: Any) -> Callable[[int], tuple[int, str, bytes]]:
    """Request number ``i`` through the WSGI app: (status, content type, body)."""

    def call(i: int) -> tuple[int, str, bytes]:
        if i % 3 == 0:
            params = {"key": BILLABLE_KEYS[i % 5], "mobile": HASHES[i % 4]}
        else:
            params = {"key": f"f{i}", "mobile": FREE_HASH}
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": PATH, "QUERY_STRING": urlencode(params),
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(), "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.version": (1, 0),
        }  # fmt: skip
        status: list[str] = []
        headers: dict[str, str] = {}

        def start_response(line: str, pairs: list[tuple[str, str]], exc: Any = None) -> None:
            status.append(line)
            headers.update(pairs)

        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)  # optional in WSGI (a plain list has none)
            if close is not None:
                close()
        return int(status[0][:3]), headers["Content-Type"], body

    return call


def _own_bytes(snapshot: tracemalloc.Snapshot) -> int:
    filtered = snapshot.filter_traces([tracemalloc.Filter(True, PACKAGE + "/*")])
    return sum(stat.size for stat in filtered.statistics("filename"))


def _run(call: Callable[[int], tuple[int, str, bytes]], start: int, n: int, runtime: Any) -> int:
    """Send requests ``start`` .. ``start + n - 1``; the bytes the mock's code then holds."""
    for i in range(start, start + n):
        status, content_type, body = call(i)
        assert status == 200
        if i % 100 == 0:  # a sample: strict validation of every body would dominate
            check_answer(status, content_type, body)
            assert len(runtime.requests()) == JOURNAL_SIZE
    return _own_bytes(tracemalloc.take_snapshot())


def test_journal_stays_bounded_over_thousands_of_requests() -> None:
    app = create_app({"seed": 0, "journal_size": JOURNAL_SIZE})
    runtime = runtime_of(app)
    call = _caller(app)
    for i in range(WARM_UP):
        status, content_type, body = call(i)
        if i % 50 == 0:  # a sample: strict validation of every body would dominate
            check_answer(status, content_type, body)
    assert len(runtime.requests()) == JOURNAL_SIZE

    # Under tracemalloc, what the mock's code still holds after a first stretch (the
    # journal, refilled, plus whatever else it keeps) against after three times as many
    # requests: a bounded mock holds the same; an unbounded one three times as much.
    tracemalloc.start()
    try:
        first = _run(call, WARM_UP, MEASURED // 3, runtime)
        second = _run(call, WARM_UP + MEASURED // 3, MEASURED - MEASURED // 3, runtime)
    finally:
        tracemalloc.stop()
    journal = runtime.requests()
    assert len(journal) == JOURNAL_SIZE
    # The newest requests, in order: the last one is the last request sent.
    last = WARM_UP + MEASURED - 1
    assert journal[-1]["outcome"]["error_code"] == (0 if last % 3 == 0 else 234803)
    assert first > 0  # the measure sees the journal itself
    assert second - first < GROWTH_LIMIT, f"the mock's memory grew by {second - first} bytes"
    billed = sum(1 for i in range(WARM_UP + MEASURED) if i % 3 == 0)
    assert runtime.usage()["billable"] == billed


def _billed_by_fresh_keys(i: int) -> dict[str, str]:
    return {"key": f"n{i}", "mobile": HASHES[i % 3]}  # magic 1, 3, 5: all billable


def test_ledger_stays_bounded_over_thousands_of_distinct_keys() -> None:
    """600k new keys once grew /__admin/usage to 7.8 MB and the worker by 250 MB: the ledger
    counts ``ledger_keys`` fingerprints one by one and folds the rest into one bucket."""
    app = create_app({"seed": 0, "journal_size": JOURNAL_SIZE, "ledger_keys": 100})
    runtime = runtime_of(app)
    client = app.test_client()

    def bill(start: int, n: int) -> int:
        for i in range(start, start + n):
            response = client.get(PATH, query_string=_billed_by_fresh_keys(i))
            assert response.status_code == 200
            if i % 200 == 0:
                check_answer(200, response.content_type, response.data)
        return _own_bytes(tracemalloc.take_snapshot()) if tracemalloc.is_tracing() else 0

    bill(0, WARM_UP)  # the bound is reached: 100 keys of their own
    tracemalloc.start()
    try:
        first = bill(WARM_UP, MEASURED // 3)
        second = bill(WARM_UP + MEASURED // 3, MEASURED - MEASURED // 3)
    finally:
        tracemalloc.stop()
    usage = client.get("/__admin/usage")
    ledger = usage.get_json()
    assert ledger["billable"] == WARM_UP + MEASURED == sum(ledger["by_key"].values())
    assert len(ledger["by_key"]) == 101  # 100 fingerprints and the "(other keys)" bucket
    assert ledger["by_key"][OTHER_KEYS] == WARM_UP + MEASURED - 100
    assert len(usage.data) < 8 * 1024  # bounded, however many keys call
    assert runtime.usage() == ledger
    assert second - first < GROWTH_LIMIT, f"the mock's memory grew by {second - first} bytes"
