"""Several worker processes for one mock: ``juhe-mock --workers N [--state redis://...]``.

The workers are served by granian (a pre-fork server written in Rust, chosen over gunicorn
by measurement: 1.8x gunicorn's gthread workers' throughput on the same app, see
``docs/scaling.md``). The master process validates everything first (scenario files, the
Redis connection, whether memory state is honest), prints the address line, then hands
the port to granian, which forks the workers; each worker builds its own app from the
settings passed in the environment (:data:`SETTINGS_ENV`), so a respawned worker (after
a crash or a SIGKILL) comes back the same.

Where the state lives decides what is allowed:

- ``--state redis://HOST:PORT/DB``: every worker (and every host sharing the namespace)
  shares quotas, sequences, ``times`` and rate counters, the journal, the ledger and the
  orderid counters; counts are exact.
- memory (no ``--state``): each worker has its own counters, so a scenario with state
  (quotas, sequences, ``times``, probabilities, rate limits, internal errors) is refused
  with exit status 2. A stateless scenario is served; orderids stay unique through one
  *lane* per worker (:mod:`mock_server.lanes`); the journal and the ledger exist per
  worker only, so the admin API refuses to read or reset them (HTTP 409) rather than
  answer one worker's part.

With several workers, a scenario changed over the admin API would change one worker only,
so ``PUT /__admin/scenarios`` and ``POST /__admin/scenarios/rules`` answer 409: the
scenario comes from the files given at start.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing.util
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import Flask, Response, request

from .config import Scenario
from .cut import WSGIApp, drop_aware
from .lanes import LaneStore
from .store import InMemoryStore, Store

__all__ = [
    "SETTINGS_ENV",
    "LaneStore",
    "WorkerSettings",
    "add_scale_options",
    "open_state",
    "serve_workers",
    "stateful_features",
    "worker_app",
]

#: The environment variable that carries :class:`WorkerSettings` (JSON) to the workers.
SETTINGS_ENV = "JUHE_MOCK_WORKER_SETTINGS"
#: The environment variables behind ``--state`` and ``--namespace``.
STATE_ENV = "JUHE_MOCK_STATE"
NAMESPACE_ENV = "JUHE_MOCK_NAMESPACE"
EXIT_CONFIG = 2


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--state`` and ``--namespace`` on the ``juhe-mock`` parser."""
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="serve with N processes (granian); several workers need --state for "
        "scenarios with state (quotas, sequences, times, rates)",
    )  # fmt: skip
    parser.add_argument(
        "--state", default=os.environ.get(STATE_ENV) or None, metavar="URL",
        help=f"keep all mutable state in Redis: redis://HOST:PORT/DB (env {STATE_ENV}); "
        "default: this process's memory",
    )  # fmt: skip
    parser.add_argument(
        "--namespace", default=os.environ.get(NAMESPACE_ENV) or "default", metavar="NAME",
        help=f"the Redis key namespace (env {NAMESPACE_ENV}); replicas of one mock share it, "
        "independent mocks on one Redis each take their own (default: 'default')",
    )  # fmt: skip


def open_state(url: str | None, namespace: str, *, journal_size: int | None = None) -> Store | None:
    """The store behind ``--state``: None (memory, the app's default) or a RedisStore.

    :raises StateError: the URL is unusable or Redis does not answer (a one-line message).
    """
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise StateError(f"--state: {url!r} is not a redis://HOST:PORT/DB URL")
    from .redis_store import RedisStore, StateUnavailable

    # The mock appends every request to the journal right after billing it, so bills can
    # ride along with that append (one round trip fewer per billed answer).
    # Orderid numbers are reserved 16 at a time: one round trip per 16 successes.
    options: dict[str, Any] = {"coalesce_bills": True, "orderid_block": 16}
    if journal_size is not None:
        options["journal_size"] = journal_size
    try:
        return RedisStore(url, namespace, **options)
    except ValueError as error:
        raise StateError(f"--namespace: {error}") from None
    except StateUnavailable as error:
        raise StateError(f"--state: {error}") from None


class StateError(Exception):
    """The shared state cannot be used; the message is one line for the command line."""


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
        f"quota of key {key_label(key)}"
        for key, settings in platform.keys.items()
        if settings.quota is not None
    )
    if platform.rate is not None:
        found.append("per-IP rate limit")
    if platform.internal_errors > 0:
        found.append("random internal errors")
    return found


def key_label(key: str) -> str:
    """A key as a message may show it: its fingerprint, never the key."""
    from .models import key_fingerprint

    return f"fingerprint {key_fingerprint(key)}"


# --- the workers ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker needs to build its app; travels as JSON in :data:`SETTINGS_ENV`."""

    workers: int
    scenarios: list[str] = field(default_factory=list)
    seed: int | None = None
    admin_token: str | None = None
    state: str | None = None
    namespace: str = "default"
    log_format: str = "text"
    lane_dir: str | None = None

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> WorkerSettings:
        return cls(**json.loads(text))


_NOT_SHARED_SCENARIO = (
    "with {n} workers each worker holds its own copy of the scenario, so it cannot be "
    "changed over the admin API; change the scenario files and restart juhe-mock"
)
_PER_WORKER_STATE = (
    "with {n} workers and memory state, each worker keeps its own journal and ledger; "
    "one worker's part would be wrong, so it is not served. Start juhe-mock with "
    "--state redis://HOST:PORT/DB to share them"
)


def _guard_admin(app: Flask, settings: WorkerSettings) -> None:
    """Refuse (409) the admin calls that one worker cannot answer for all of them.

    Registered on the admin blueprint after its own guard, so the token and loopback
    checks still come first.
    """
    n = settings.workers
    scenario_writes = {("PUT", "/__admin/scenarios"), ("POST", "/__admin/scenarios/rules")}
    per_worker = {
        ("GET", "/__admin/requests"),
        ("DELETE", "/__admin/requests"),
        ("GET", "/__admin/usage"),
        ("POST", "/__admin/reset"),
    }

    def refuse() -> Response | None:
        call = (request.method, request.path.rstrip("/"))
        if call in scenario_writes:
            message = _NOT_SHARED_SCENARIO.format(n=n)
        elif settings.state is None and call in per_worker:
            message = _PER_WORKER_STATE.format(n=n)
        else:
            return None
        body = json.dumps(
            {"error": "not_shared", "message": message}, ensure_ascii=False, separators=(",", ":")
        )
        return Response(body, status=409, content_type="application/json;charset=utf-8")

    app.before_request_funcs.setdefault("admin", []).append(refuse)


def worker_app() -> WSGIApp:
    """The app of one worker (granian calls this in each worker process)."""
    from .app import create_app, runtime_of
    from .cli import _configure_logging
    from .runtime import MockConfig

    settings = WorkerSettings.from_env(os.environ[SETTINGS_ENV])
    store: Store | None = open_state(settings.state, settings.namespace)
    if store is None and settings.lane_dir is not None:
        store = LaneStore(InMemoryStore(), settings.lane_dir, settings.workers)
    app = create_app(
        MockConfig(
            scenarios=settings.scenarios,
            seed=settings.seed,
            admin_token=settings.admin_token,
            store=store,
        )
    )
    if settings.workers > 1:
        _guard_admin(app, settings)  # one worker answers for the whole mock
    answer_failures = getattr(store, "answer_failures", None)
    if answer_failures is not None:
        answer_failures(app)
    flush_logs = _configure_logging(settings.log_format)
    runtime = runtime_of(app)

    def at_worker_exit() -> None:
        # granian's worker is a multiprocessing child: it ends with os._exit, so atexit
        # handlers (the log flush among them) never run, but multiprocessing's own exit
        # finalizers do, right after the worker's SIGTERM handler has stopped serving.
        runtime.stop_pausing()  # a request waiting out a latency or drip rule answers now
        flush_logs()

    multiprocessing.util.Finalize(None, at_worker_exit, exitpriority=10)
    return drop_aware(app)


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
#: its first request that needs it (seen: the ``encodings.idna`` import that a first
#: ``connect`` triggers).
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


def _announce_when_ready(host: str, port: int, timeout_s: float = 60.0) -> None:
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
                    print(f"juhe-mock serving on http://{shown}:{port}", flush=True)
                    return
            time.sleep(0.02)

    threading.Thread(target=poll, name="juhe-mock-announce", daemon=True).start()


def _fail(message: str) -> int:
    print(f"juhe-mock: {message}", file=sys.stderr)
    return EXIT_CONFIG


def serve_workers(args: argparse.Namespace) -> int:
    """Check the settings, print the address line, serve with ``args.workers`` processes.

    Returns the exit status: 0 after SIGTERM/SIGINT, 2 for settings that cannot work.
    """
    from .app import create_app, runtime_of
    from .config import ConfigError
    from .runtime import MockConfig

    workers: int = args.workers
    try:
        runtime = runtime_of(
            create_app(MockConfig(scenarios=args.scenarios, seed=args.seed))
        )  # validates every file before any worker starts
    except ConfigError as error:
        return _fail(str(error))
    try:
        store = open_state(args.state, args.namespace)
    except StateError as error:
        return _fail(str(error))
    if store is None and workers > 1:
        features = stateful_features(runtime.engine.scenario)
        if features:
            return _fail(
                f"--workers {workers} with memory state would count separately in each "
                f"worker, but the scenario keeps state: {'; '.join(features)}. "
                "Use --state redis://HOST:PORT/DB (or JUHE_MOCK_STATE), or --workers 1"
            )
    else:
        close = getattr(store, "close", None)
        if close is not None:
            close()  # each worker opens its own connections after the fork
    try:
        port = _usable_port(args.host, args.port)
    except socket.gaierror:
        return _fail(f"--host: cannot resolve {args.host!r} to an address")
    except OSError as error:
        return _fail(f"cannot listen on {args.host}:{args.port}: {error}")
    # One worker is one process: its memory holds the only counters, no lanes needed.
    lane_dir = (
        None if store is not None or workers == 1 else tempfile.mkdtemp(prefix="juhe-mock-lanes-")
    )
    settings = WorkerSettings(
        workers=workers,
        scenarios=[str(path) for path in args.scenarios],
        seed=args.seed,
        admin_token=args.admin_token,
        state=args.state,
        namespace=args.namespace,
        log_format=args.log_format,
        lane_dir=lane_dir,
    )
    os.environ[SETTINGS_ENV] = settings.to_env()
    try:
        return _run_granian(args.host, port, workers, args.threads)
    finally:
        os.environ.pop(SETTINGS_ENV, None)
        if lane_dir is not None:
            shutil.rmtree(lane_dir, ignore_errors=True)


def _run_granian(host: str, port: int, workers: int, threads: int) -> int:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    server = Granian(
        f"{__name__}:worker_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        factory=True,
        respawn_failed_workers=True,  # a killed worker comes back; shared state is in Redis
        respawn_interval=0.5,
        workers_kill_timeout=1,  # SIGTERM: workers get one second, then SIGKILL
        log_level=LogLevels.error,
    )
    _announce_when_ready(host, port)
    server.serve()
    return 0
