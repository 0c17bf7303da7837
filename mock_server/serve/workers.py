"""Serving with granian's worker processes: ``juhe-mock --workers N [--state redis://...]``.

granian is a pre-fork server written in Rust, chosen over gunicorn by measurement (see
``docs/scaling.md``). The master process builds the runtime first (every scenario file
read and compiled, the Redis connection tried, memory state checked for honesty), prints
the address line once a worker listens, and hands the port to granian, which forks the
workers. Each worker serves the same ASGI app as the one-process default
(:class:`~mock_server.web.door_async.MockAsgi`, on its own event loop). A forked worker
serves the master's runtime as it is (nothing is read or compiled again); a worker started
fresh (the ``spawn`` or ``forkserver`` start method) builds the same from the settings in a
file only this user can read, named by :data:`SETTINGS_ENV` and removed when the server
stops: the admin token and a Redis password never sit in a worker's environment, which
the user's other processes can read (``/proc/PID/environ``).

Stopping: SIGTERM/SIGINT reach every worker; each stops accepting, lets the answers in
flight finish, and cuts their waits short after ``drain_timeout``; granian kills a worker
that is still there a second later. A second signal to the master ends every worker at
once (exit status 1). A worker that dies is started afresh: its memory held nothing that is
served (with memory state the journal and the ledger are refused, 409; orderids come from
lanes), and shared state is in Redis.

Where the state lives decides what is allowed:

- ``--state redis://HOST:PORT/DB``: every worker (and every host sharing the namespace)
  shares quotas, sequences, ``times`` and rate counters, the journal, the ledger and the
  orderid counters; counts are exact.
- memory (no ``--state``): each worker has its own counters, so a scenario with state
  (quotas, sequences, ``times``, probabilities, rate limits, internal errors) is refused
  with exit status 2. A stateless scenario is served; orderids stay unique through one
  *lane* per worker (:mod:`mock_server.state.lanes`); the journal and the ledger exist per
  worker only, so the admin API refuses to read or reset them (HTTP 409) rather than
  answer one worker's part, and scenario writes are refused as well
  (:func:`mock_server.web.admin.refuse_per_worker`).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing.util
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import replace
from typing import Any

from contract.keys import key_fingerprint

from ..config import MockConfig, SettingsError
from ..scenario.model import Scenario
from .exits import EXIT_USAGE, fail
from .logs import configure_logging

__all__ = ["SETTINGS_ENV", "serve_workers", "stateful_features", "worker_app", "worker_config"]

#: The environment variable that names the settings file (JSON, mode 0600) of spawned workers.
SETTINGS_ENV = "JUHE_MOCK_WORKER_SETTINGS_FILE"

#: The master's runtime, built before granian forks: a forked worker serves it as it is.
_MASTER_RUNTIME: Any = None


def stateful_features(scenario: Scenario) -> list[str]:
    """What in a scenario keeps counters (and so needs one shared store across workers)."""
    found: list[str] = []
    for rule in scenario.rules:
        kinds = [
            name
            for name, present in (
                ("times", rule.times is not None),
                ("sequence", rule.is_sequence),
                ("probability", rule.probability is not None),
            )
            if present
        ]
        if kinds:
            found.append(f"rule {rule.name!r} ({', '.join(kinds)})")
    platform = scenario.platform
    if platform.default_quota is not None:
        found.append("platform default quota")
    found.extend(
        f"quota of key fingerprint {key_fingerprint(key)}"
        for key, settings in platform.keys.items()
        if settings.quota is not None
    )
    if platform.rate is not None:
        found.append("per-IP rate limit")
    if platform.internal_errors > 0:
        found.append("random internal errors")
    return found


def worker_config() -> MockConfig:
    """The master's settings, read from the file :data:`SETTINGS_ENV` names."""
    with open(os.environ[SETTINGS_ENV], encoding="utf-8") as settings:
        return MockConfig.from_json(settings.read())


def _write_settings(config: MockConfig) -> str:
    """The settings in a new file readable by this user only (in a folder of its own)."""
    path = os.path.join(tempfile.mkdtemp(prefix="juhe-mock-settings-"), "settings.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(config.to_json())
    return path


def worker_app() -> Any:
    """The ASGI app of one worker (granian calls this in each worker process)."""
    from ..web.door_async import MockAsgi
    from ..web.setup import build_runtime
    from .cut import drop_connection
    from .loop import FLASK_THREADS

    runtime = _MASTER_RUNTIME
    if runtime is None:  # not forked from the master: build the same from its settings
        runtime = build_runtime(worker_config())
    flush_logs = configure_logging(runtime.config.log_format)
    app = MockAsgi(runtime, threads=runtime.config.threads or FLASK_THREADS, drop=drop_connection)
    app.startup_hooks.append(lambda: _drain_on_signal(app, runtime.config.drain_timeout))

    def at_worker_exit() -> None:
        # granian's worker is a multiprocessing child: it ends with os._exit, so atexit
        # handlers (the log flush among them) never run, but multiprocessing's own exit
        # finalizers do, right after the worker has stopped serving.
        runtime.stop_pausing()
        flush_logs()

    multiprocessing.util.Finalize(None, at_worker_exit, exitpriority=10)
    return app


def _drain_on_signal(app: Any, drain_timeout: float) -> None:
    """In a worker, on its loop: a stop signal also starts the drain's clock.

    granian's worker handles SIGTERM/SIGINT on its asyncio loop (stop accepting, finish
    what is in flight); here each of those handlers is wrapped so that, ``drain_timeout``
    later, the app's remaining waits are cut short. asyncio keeps the handlers in a private
    table; without it the worker still drains, and granian kills it a second after the
    drain timeout.
    """
    loop = asyncio.get_running_loop()
    table = getattr(loop, "_signal_handlers", None)
    if not isinstance(table, dict):
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        handle = table.get(signum)
        callback = getattr(handle, "_callback", None)
        if callback is None:
            continue
        args = getattr(handle, "_args", ())

        def on_signal(callback: Any = callback, args: Any = args) -> None:
            callback(*args)
            loop.call_later(drain_timeout, app.cut)

        loop.add_signal_handler(signum, on_signal)


def _usable_port(host: str, port: int) -> int:
    """``port``, or a free one for 0, after checking that nothing listens there already.

    granian binds every worker with SO_REUSEPORT on one given port, so port 0 is resolved
    here, once, and the same port handed to all of them. The probe has no SO_REUSEPORT,
    so a port another program holds is refused here with a clear message.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


#: Held by the announcing thread while it works and by any fork (granian forking a worker)
#: while it happens: a worker must never be forked while that thread is half-way through
#: an import or a print, or the worker inherits the held module or stdout lock and hangs on
#: its first request that needs it.
_FORK_GATE = threading.Lock()
_gate_installed = False


def _install_fork_gate() -> None:
    global _gate_installed
    if not _gate_installed:
        os.register_at_fork(
            before=_FORK_GATE.acquire,
            after_in_parent=_FORK_GATE.release,
            after_in_child=_FORK_GATE.release,
        )
        _gate_installed = True


def _announce_when_ready(
    host: str, port: int, protocol: str = "http", timeout_s: float = 60.0
) -> None:
    """Print the address line once a worker accepts connections (from a daemon thread).

    Scripts read that line and connect at once, so it must not come before the workers
    listen.
    """
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    _install_fork_gate()

    def poll() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with _FORK_GATE:  # no fork while this thread imports, connects or prints
                try:
                    socket.create_connection((target, port), timeout=0.5).close()
                except OSError:
                    pass
                else:
                    print(f"juhe-mock serving on {protocol}://{shown}:{port}", flush=True)
                    return
            time.sleep(0.02)

    threading.Thread(target=poll, name="juhe-mock-announce", daemon=True).start()


def serve_workers(config: MockConfig) -> int:
    """Build the app, print the address line, serve with ``config.workers`` processes.

    Returns the exit status: 0 after SIGTERM/SIGINT, 2 for settings that cannot work.
    """
    global _MASTER_RUNTIME
    from ..scenario.errors import ConfigError
    from ..state.connect import StateError
    from ..web.setup import build_runtime

    try:
        port = _usable_port(config.host, config.port)
    except socket.gaierror:
        return fail(f"--host: cannot resolve {config.host!r} to an address")
    except OSError as error:
        return fail(f"cannot listen on {config.host}:{config.port}: {error}")
    # One worker is one process: its memory holds the only counters, no lanes needed.
    several_in_memory = config.state is None and config.workers > 1
    lane_dir = tempfile.mkdtemp(prefix="juhe-mock-lanes-") if several_in_memory else None
    config = replace(config, port=port, lane_dir=lane_dir)
    settings: str | None = None
    try:
        try:
            runtime = build_runtime(config)  # every file read and compiled before a fork
        except (ConfigError, StateError, SettingsError) as error:
            return fail(str(error))
        if runtime.proxy is not None:
            from ..proxy.setup import start_notes

            for note in start_notes(config, runtime.proxy):
                print(f"juhe-mock: {note}", file=sys.stderr, flush=True)
        if several_in_memory:
            features = stateful_features(runtime.engine.scenario)
            if features:
                return fail(
                    f"--workers {config.workers} with memory state would count separately "
                    f"in each worker, but the scenario keeps state: {'; '.join(features)}. "
                    "Use --state redis://HOST:PORT/DB (or JUHE_MOCK_STATE), or --workers 1",
                    EXIT_USAGE,
                )
        _MASTER_RUNTIME = runtime
        settings = os.environ[SETTINGS_ENV] = _write_settings(config)
        return _run_granian(config)
    finally:
        _MASTER_RUNTIME = None
        if settings is not None:
            os.environ.pop(SETTINGS_ENV, None)
            shutil.rmtree(os.path.dirname(settings), ignore_errors=True)
        if lane_dir is not None:
            shutil.rmtree(lane_dir, ignore_errors=True)


def _run_granian(config: MockConfig) -> int:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    from .loop import BACKLOG, MAX_HEAD, scheme, tls_options
    from .reload import WORKERS_REFUSAL

    class Master(Granian):  # type: ignore[misc,valid-type]
        """granian's master, with a second stop signal that ends every worker at once."""

        def signal_handler_interrupt(self, *args: Any, **kwargs: Any) -> None:
            if self.interrupt_signal:
                for worker in list(self.wrks):
                    worker.kill()
                fail("a second signal: stopped without waiting for the answers in flight")
                os._exit(1)
            super().signal_handler_interrupt(*args, **kwargs)

        def signal_handler_reload(self, *args: Any, **kwargs: Any) -> None:
            # granian would respawn every worker from the master's runtime as it was: a
            # restart that reloads nothing. Say so instead (see .reload).
            fail("SIGHUP ignored: " + WORKERS_REFUSAL.format(n=config.workers))

    server = Master(
        f"{__name__}:worker_app",
        address=config.host,
        port=config.port,
        interface=Interfaces.ASGI,  # with lifespan: the worker's drain hook starts there
        http=HTTPModes.http1,
        websockets=False,
        workers=config.workers,
        backlog=BACKLOG,
        backpressure=BACKLOG // config.workers,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(config.idle_timeout * 1000), max_buffer_size=MAX_HEAD
        ),
        factory=True,
        respawn_failed_workers=True,  # nothing served lives only in a worker's memory
        respawn_interval=0.5,
        # After the drain's own cut, a worker gets one more second, then SIGKILL.
        workers_kill_timeout=math.ceil(config.drain_timeout) + 1,
        log_level=LogLevels.error,
        **tls_options(config),
    )
    _announce_when_ready(config.host, config.port, scheme(config))
    server.serve()
    return 0
