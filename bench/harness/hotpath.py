"""``bench/run --profile``: where the mock's time goes per request, without a network.

Calls the mock's WSGI app and the bare stub's directly, the way a WSGI server does (one
prebuilt environ per call, the response iterated and closed), so neither a server nor a
test client is in the figures. Times both, then runs the mock under cProfile and writes
the own-time totals by package and the top functions to ``results/profile-<date>.txt``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from werkzeug.test import EnvironBuilder

from .answer import is_correct, query_path
from .runner import log
from .stub import create_stub

REQUESTS = 5000
_PACKAGES = ("mock_server", "contract", "flask", "werkzeug", "waitress", "json")


def _mock_app() -> Any:
    from mock_server.web.app import create_app

    return create_app()


def _caller(app: Any, path: str) -> Callable[[], tuple[int, bytes]]:
    """One WSGI call as a server makes it: fresh environ copy, body joined, close()."""
    template = EnvironBuilder(path=path, method="GET").get_environ()
    template["REMOTE_ADDR"] = "127.0.0.1"
    status_box = [0]

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        status_box[0] = int(status[:3])

    def call() -> tuple[int, bytes]:
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(b"")
        result: Iterable[bytes] = app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return status_box[0], payload

    return call


def _time(call: Callable[[], tuple[int, bytes]], n: int) -> float:
    """Seconds per request over ``n`` calls, after a checked warm-up."""
    for _ in range(200):
        status, payload = call()
        if not is_correct(status, payload):
            raise RuntimeError(f"wrong answer in-process: {status} {payload[:200]!r}")
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - t0) / n


def _by_package(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    """Own time per request (µs), summed by the package a function lives in."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        own = row[2]
        parts = filename.replace("\\", "/").split("/")
        package = next((p for p in _PACKAGES if p in parts[:-1]), None)
        if package is None:
            package = "builtins" if filename == "~" else "stdlib/other"
        totals[package] += own
    return sorted(((k, v / requests * 1e6) for k, v in totals.items()), key=lambda kv: -kv[1])


def run(args: argparse.Namespace) -> int:
    path = query_path(args.key)
    mock_call = _caller(_mock_app(), path)
    stub_call = _caller(create_stub(), path)
    mock_s = _time(mock_call, REQUESTS)
    stub_s = _time(stub_call, REQUESTS)
    head = (
        f"In-process WSGI calls, {REQUESTS} GETs each: juhe-mock {mock_s * 1e6:.0f} µs/request, "
        f"bare stub {stub_s * 1e6:.0f} µs/request (mock ÷ stub {mock_s / stub_s:.2f}×; the "
        f"engine, journal and ledger add {(mock_s - stub_s) * 1e6:.0f} µs per request)."
    )
    log(head)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(REQUESTS):
        mock_call()
    profiler.disable()
    out = io.StringIO()
    out.write(head + "\n\n")
    stats = pstats.Stats(profiler, stream=out)
    out.write("Own time per request under cProfile (inflated by the profiler), by package:\n")
    for package, us in _by_package(stats, REQUESTS):
        out.write(f"  {package:<14} {us:7.1f} µs\n")
    out.write("\n")
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        out.write(f"=== top 35 by {order} over {REQUESTS} requests ===\n")
        stats.sort_stats(order).print_stats(35)
    text = out.getvalue()
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"{args.stem or 'profile-' + date.today().isoformat()}.txt"
    target.write_text(text, "utf-8")
    print(text[:7000])
    log(f"wrote {target}")
    return 0
