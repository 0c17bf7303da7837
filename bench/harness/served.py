"""The mock (or the bare stub) on juhe-mock's own server, with what ``bench/run --tail``
varies and a probe of where a request's time goes inside the process.

``python -m harness.served --port N [--app mock|stub] [--log text|json|off]
[--gc default|freeze] [--probe FILE]``: the same runtime, ``MockAsgi``, request log and
``serve.loop.Serving`` as ``juhe-mock`` (``serve/cli.py``), until SIGTERM. ``--gc freeze``
moves everything alive after start-up out of the collector's sight (``gc.freeze()``) and
raises the young generation's threshold. With ``--probe``, SIGUSR2 begins a measured run
(samples cleared, the lag timer started: it runs only then, so an idle server costs the
others nothing) and SIGUSR1 ends it, writing to that file (on the loop, after the load:
sorting the samples must not itself make a tail) JSON about the run:

- ``app_us``: the app's own time per request (the ASGI call until it returns), percentiles;
- ``lag_us``: how late a 1 ms timer on the loop fires (the loop held by something:
  Python work, the GIL with another thread, a collection), percentiles;
- ``gc``: collections per generation, their longest and total pause, ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

KEEP = 500_000  # samples kept per series (the newest)


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values[-KEEP:])
    n = len(ordered)
    pick = {"p50": 0.5, "p99": 0.99, "p999": 0.999}
    out = {k: round(ordered[min(n - 1, int(n * q))] * 1e6, 1) for k, q in pick.items()}
    out["max"] = round(ordered[-1] * 1e6, 1)
    out["n"] = n
    return out


class Probe:
    """The app's time per call, the loop's lag and the collector's pauses."""

    def __init__(self, app: Any, path: Path) -> None:
        self.app, self.path = app, path
        self.bridge, self.runtime = app.bridge, app.runtime  # what Serving asks of an app
        self.app_s: list[float] = []
        self.lag_s: list[float] = []
        self.gc: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._gc_began = 0.0
        self._lag: asyncio.Future[None] | None = None
        gc.callbacks.append(self._on_gc)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        began = time.perf_counter()
        await self.app(scope, receive, send)
        self.app_s.append(time.perf_counter() - began)

    def cut(self) -> None:
        self.app.cut()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc[info["generation"]].append((time.perf_counter() - self._gc_began) * 1000)

    async def watch_lag(self) -> None:
        while True:
            due = time.perf_counter() + 0.001
            await asyncio.sleep(0.001)
            self.lag_s.append(max(0.0, time.perf_counter() - due))

    def begin(self) -> None:
        """A measured run begins: samples cleared, the lag timer on."""
        self.app_s, self.lag_s = [], []
        self.gc = {0: [], 1: [], 2: []}
        if self._lag is None:
            self._lag = asyncio.ensure_future(self.watch_lag())

    def dump(self) -> None:
        """The run is over: the lag timer off, the figures written."""
        if self._lag is not None:
            self._lag.cancel()
            self._lag = None
        pauses = {str(g): {"n": len(v), "max_ms": round(max(v, default=0), 2),
                           "total_ms": round(sum(v), 1)} for g, v in self.gc.items()}  # fmt: skip
        data = {"app_us": _quantiles(self.app_s), "lag_us": _quantiles(self.lag_s),
                "gc": pauses}  # fmt: skip
        self.app_s, self.lag_s = [], []
        self.gc = {0: [], 1: [], 2: []}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), "utf-8")
        temporary.replace(self.path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.served", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app", choices=("mock", "stub"), default="mock")
    parser.add_argument("--log", choices=("text", "json", "off"), default="text")
    parser.add_argument("--gc", choices=("default", "freeze"), default="default")
    parser.add_argument("--probe", type=Path, default=None)
    args = parser.parse_args(argv)

    from mock_server.config import MockConfig
    from mock_server.serve.logs import configure_logging
    from mock_server.serve.loop import Serving
    from mock_server.web.door_async import MockAsgi
    from mock_server.web.setup import build_runtime

    from .stub import _Shim

    config = MockConfig(host="127.0.0.1", port=args.port, log_format="text")
    app: Any = _Shim() if args.app == "stub" else MockAsgi(build_runtime(config))
    if args.log != "off":
        configure_logging(args.log)
    probe = Probe(app, args.probe) if args.probe else None

    def ready() -> None:
        if args.gc == "freeze":
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
        print(f"serving on {args.port}", flush=True)

    serving = Serving(probe or app, config, args.port, ready)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, serving.stop)
        if probe is not None:
            loop.add_signal_handler(signal.SIGUSR2, probe.begin)
            loop.add_signal_handler(signal.SIGUSR1, probe.dump)
        await serving.run()

    asyncio.run(run())
    os._exit(0)  # as juhe-mock: granian's Rust threads must not see the interpreter end


if __name__ == "__main__":
    main()
