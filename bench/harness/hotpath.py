"""``bench/run --profile``: where the mock's time goes per request, without a network.

Drives the mock's Flask app and the bare stub's through Flask's test client (the same WSGI
call a server makes), times both, then runs the mock under cProfile and writes the top
functions by own time and by cumulative time to ``results/profile-<date>.txt``.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pstats
import time
from datetime import date
from typing import Any

from .answer import is_correct, query_path
from .runner import log
from .stub import create_stub

REQUESTS = 5000


def _mock_app() -> Any:
    for module in ("mock_server.app", "mock_server"):
        try:
            factory = importlib.import_module(module).create_app
        except (ImportError, AttributeError):
            continue
        return factory()
    raise RuntimeError("mock_server has no create_app() to profile yet")


def _drive(app: Any, path: str, n: int) -> float:
    """Seconds per request over ``n`` test-client GETs, after a warm-up."""
    client = app.test_client()
    for _ in range(200):
        resp = client.get(path)
        if not is_correct(resp.status_code, resp.data):
            raise RuntimeError(f"wrong answer in-process: {resp.status_code} {resp.data[:200]!r}")
    t0 = time.perf_counter()
    for _ in range(n):
        client.get(path)
    return (time.perf_counter() - t0) / n


def run(args: argparse.Namespace) -> int:
    path = query_path(args.key)
    mock = _mock_app()
    stub = create_stub()
    mock_s = _drive(mock, path, REQUESTS)
    stub_s = _drive(stub, path, REQUESTS)
    head = (
        f"In-process, Flask test client, {REQUESTS} GETs each: juhe-mock "
        f"{mock_s * 1e6:.0f} µs/request, bare stub {stub_s * 1e6:.0f} µs/request "
        f"(mock ÷ stub {mock_s / stub_s:.2f}×; the engine, journal and ledger add "
        f"{(mock_s - stub_s) * 1e6:.0f} µs)."
    )
    log(head)
    client = mock.test_client()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(REQUESTS):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    out.write(head + "\n\n")
    for order in ("tottime", "cumulative"):
        out.write(f"=== top 30 by {order} over {REQUESTS} requests ===\n")
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.stem or 'profile-' + date.today().isoformat()}.txt"
    target.write_text(out.getvalue(), "utf-8")
    print(out.getvalue()[:6000])
    log(f"wrote {target}")
    return 0
