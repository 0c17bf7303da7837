"""The reference client's per-call cost against raw ``requests`` on the same server.

The client sends a POST form body by default (the key stays out of URLs), so raw
``requests`` makes the same POST. Both sides make the same sequential keep-alive calls in
alternating blocks (so a burst of load from elsewhere on a shared machine hits both alike)
and check every answer. The client's overhead is its median call time minus raw
``requests``'s median.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

from contract import PATH

from .answer import MOBILE_HASH, TENURE


def _raw_caller(base_url: str, key: str) -> Callable[[], None]:
    session = requests.Session()
    url = base_url + PATH
    params = {"key": key, "mobile": MOBILE_HASH}

    def call() -> None:
        body = session.post(url, data=params, timeout=5).json()
        if body["error_code"] != 0 or body["result"]["code"] != TENURE:
            raise RuntimeError(f"raw requests got a wrong answer: error_code {body['error_code']}")

    return call


def _client_caller(base_url: str, key: str) -> Callable[[], None]:
    from client import TenureClient

    tc = TenureClient(key, base_url=base_url)

    def call() -> None:
        answer: Any = tc.query_hash(MOBILE_HASH)
        if answer.code.value != TENURE:
            raise RuntimeError(f"client got a wrong answer: {answer!r}")

    return call


def measure(base_url: str, key: str, calls: int = 1000, blocks: int = 10) -> dict[str, Any]:
    """Median and mean per-call time (µs) for each side, ``calls`` calls each."""
    sides = {"raw_requests": _raw_caller(base_url, key), "client": _client_caller(base_url, key)}
    for call in sides.values():  # warm both: connection, imports, caches
        for _ in range(50):
            call()
    times: dict[str, list[float]] = {name: [] for name in sides}
    per_block = max(1, calls // blocks)
    for _ in range(blocks):
        for name, call in sides.items():
            bucket = times[name]
            for _ in range(per_block):
                t0 = time.perf_counter()
                call()
                bucket.append(time.perf_counter() - t0)
    out: dict[str, Any] = {"calls_each": per_block * blocks}
    for name, values in times.items():
        out[name] = {
            "median_us": statistics.median(values) * 1e6,
            "mean_us": statistics.fmean(values) * 1e6,
        }
    out["overhead_us"] = out["client"]["median_us"] - out["raw_requests"]["median_us"]
    out["ratio"] = out["client"]["median_us"] / out["raw_requests"]["median_us"]
    return out
