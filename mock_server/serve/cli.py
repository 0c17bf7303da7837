"""``juhe-mock`` (and ``python -m mock_server``): serve the mock on granian's event loop.

The options become one :class:`~mock_server.config.MockConfig`, built as every mock's
settings are (defaults, the ``JUHE_MOCK_*`` environment, then the options given). By
default it serves in this one process (:mod:`.loop`), so every counter stays exact and
there is no worker to lose; ``--workers N`` starts N worker processes (:mod:`.workers`).

The first line on stdout is ``juhe-mock serving on http://HOST:PORT`` (``https://`` with
``--tls-cert``/``--tls-self-signed``, :mod:`.tls`) with the real port, flushed at once.
Request logs (one line each, key fingerprint only, never a phone number) go to stderr.
SIGTERM or SIGINT stops it cleanly; SIGHUP (and ``--watch``, on a change) reloads the
scenario files (:mod:`.reload`). A bad scenario or certificate file: one line naming the
file, the field and why, exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from contract.version import VersionAction

from ..config import (
    ENVIRONMENT,
    LOG_FORMATS,
    RETIRED_SERVERS,
    SERVERS,
    MockConfig,
    SettingsError,
)
from .exits import EXIT_OK, fail
from .loop import FLASK_THREADS
from .offline import list_scenarios, validate_main

__all__ = ["main"]


def _port(text: str) -> int:
    """``--port``: 0-65535 (waitress took 99999 silently modulo 65536)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535")
    return port


def _env(name: str) -> str:
    return f" (env {ENVIRONMENT[name]})"


def _parser() -> argparse.ArgumentParser:
    # Every option defaults to "not given" (SUPPRESS): what is not given comes from the
    # environment or the defaults, in MockConfig.build.
    parser = argparse.ArgumentParser(
        prog="juhe-mock",
        description="A faithful fake of Juhe's 在网时长 sha256 (China Unicom) API.",
        epilog="juhe-mock validate FILE... checks scenario files without serving "
        "(juhe-mock validate --help).",
        argument_default=argparse.SUPPRESS,
    )
    add = parser.add_argument
    add("--version", action=VersionAction)
    add("--host", help="address to bind (127.0.0.1)" + _env("host"))
    add("--port", type=_port, help="port (8000; 0 = a free one)" + _env("port"))
    add(
        "--scenarios", action="append", metavar="PATH",
        help="a scenario file (YAML or JSON) or a shipped scenario's name "
        "(--list-scenarios); repeatable, merged in order" + _env("scenarios"),
    )  # fmt: skip
    add(
        "--replay", action="append", metavar="FILE",
        help="a recording (docs/recording.md) whose hashes answer as recorded, byte for "
        "byte; other hashes follow the scenario; repeatable" + _env("replay"),
    )  # fmt: skip
    add("--seed", type=int, help="seed of every choice" + _env("seed"))
    add(
        "--server", choices=SERVERS,
        help="the HTTP server: granian (the only one; 'waitress' is retired and exits 2)"
        + _env("server"),
    )  # fmt: skip
    add(
        "--threads", type=int, metavar="N",
        help=f"threads per process for the admin API and odd requests ({FLASK_THREADS}); "
        "the API path's answers and delays hold none" + _env("threads"),
    )  # fmt: skip
    add(
        "--drain-timeout", type=float, metavar="S",
        help="on SIGTERM/SIGINT, seconds to let answers in flight finish (3)"
        + _env("drain_timeout"),
    )  # fmt: skip
    add(
        "--body-timeout", type=float, metavar="S",
        help="seconds a request body may take to arrive, else 408 (10)" + _env("body_timeout"),
    )  # fmt: skip
    add(
        "--idle-timeout", type=float, metavar="S",
        help="seconds for a request's headers, and for an idle kept-alive connection (10)"
        + _env("idle_timeout"),
    )  # fmt: skip
    add(
        "--admin-token",
        help="require this token on /__admin (then it answers non-loopback clients too)"
        + _env("admin_token"),
    )  # fmt: skip
    add("--log-format", choices=LOG_FORMATS, help="text (default) or json" + _env("log_format"))
    add(
        "--workers", type=int, metavar="N",
        help="serve with N processes (granian); several workers need --state for "
        "scenarios with state (quotas, sequences, times, rates)" + _env("workers"),
    )  # fmt: skip
    add(
        "--state", metavar="URL",
        help="keep all mutable state in Redis: redis://HOST:PORT/DB; default: this "
        "process's memory" + _env("state"),
    )  # fmt: skip
    add(
        "--namespace", metavar="NAME",
        help="the Redis key namespace; replicas of one mock share it, independent mocks on "
        "one Redis each take their own (default: 'default')" + _env("namespace"),
    )  # fmt: skip
    add(
        "--redis-timeout-s", type=float, metavar="SECONDS",
        help="the longest one Redis command may take; then the request gets a 503 "
        "(default 1.0)" + _env("redis_timeout_s"),
    )  # fmt: skip
    add(
        "--ledger-keys", type=int, metavar="N",
        help="key fingerprints the ledger counts one by one; the rest share one bucket "
        "(default 1000)" + _env("ledger_keys"),
    )  # fmt: skip
    add(
        "--watch", action="store_const", const=True,
        help="reload the scenario files when they change (SIGHUP reloads on demand); a "
        "broken file is refused and the last good scenario stays; one process only"
        + _env("watch"),
    )  # fmt: skip
    add(
        "--cors", action="store_const", const=True,
        help="CORS on the API path: Access-Control-Allow-* headers, OPTIONS preflight "
        "answered (204); never on the admin API" + _env("cors"),
    )  # fmt: skip
    add(
        "--tls-cert",
        metavar="FILE",
        help="serve HTTPS with this PEM certificate" + _env("tls_cert"),
    )
    add("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert" + _env("tls_key"))
    add(
        "--tls-self-signed", action="store_const", const=True,
        help="serve HTTPS with a certificate made at start for 127.0.0.1, ::1 and localhost "
        "(one day; its path is printed on stderr; needs openssl)" + _env("tls_self_signed"),
    )  # fmt: skip
    add(
        "--upstream", metavar="URL|live",
        help="serve as a guard proxy for staging: forward lookups to URL (live: the "
        "vendor, https) with the key in JUHE_KEY, never the apps'; cache, budget, verdict "
        "(docs/proxy.md)" + _env("upstream"),
    )  # fmt: skip
    add(
        "--cache-ttl", type=float, metavar="S",
        help="with --upstream: seconds a success or a 234803 is answered from the cache, "
        "unpaid (86400; 0: none)" + _env("cache_ttl"),
    )  # fmt: skip
    add(
        "--budget-per-day", type=int, metavar="N",
        help="with --upstream: at most N lookups forwarded (billable) per Beijing day; the "
        "rest answer 10012, unforwarded" + _env("budget_per_day"),
    )  # fmt: skip
    add(
        "--budget-per-month", type=int, metavar="N",
        help="with --upstream: the same per month" + _env("budget_per_month"),
    )  # fmt: skip
    add(
        "--ledger", metavar="FILE",
        help="with --upstream and no --state: keep the budget in this ledger file "
        "(docs/live.md), across restarts and shared with --juhe-ledger" + _env("ledger"),
    )  # fmt: skip
    add(
        "--record", metavar="FILE",
        help="with --upstream: append every upstream answer to a recording "
        "(docs/recording.md)" + _env("record"),
    )  # fmt: skip
    add(
        "--upstream-timeout", type=float, metavar="S",
        help="with --upstream: seconds for each phase of an upstream call, then 504 (10)"
        + _env("upstream_timeout"),
    )  # fmt: skip
    add(
        "--list-scenarios", action="store_true", default=False,
        help="list the shipped scenarios (--scenarios NAME) and exit",
    )  # fmt: skip
    add(
        "--print-schema", action="store_true", default=False,
        help="print the scenario document's JSON Schema and exit",
    )  # fmt: skip
    add(
        "--print-magic-table", action="store_true", default=False,
        help="print the magic numbers as a Markdown table and exit",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mock until SIGTERM/SIGINT; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["validate"]:
        return validate_main(args[1:])
    given = vars(_parser().parse_args(args))
    if given.pop("list_scenarios"):
        return list_scenarios()
    if given.pop("print_schema"):
        from ..scenario.schema import SCENARIO_SCHEMA

        print(json.dumps(SCENARIO_SCHEMA, ensure_ascii=False, indent=2))
        return EXIT_OK
    if given.pop("print_magic_table"):
        from contract.documents import magic_table_markdown

        print(magic_table_markdown(), end="")
        return EXIT_OK
    try:
        config = MockConfig.build(arguments=given, environ=os.environ)
    except SettingsError as error:
        return fail(str(error))
    if config.server in RETIRED_SERVERS:
        return fail(RETIRED_SERVERS[config.server])
    from .tls import TlsError, with_certificate

    if config.watch and config.workers > 1:
        from .reload import WORKERS_REFUSAL

        return fail("--watch: " + WORKERS_REFUSAL.format(n=config.workers))
    try:
        config, made = with_certificate(config)
    except TlsError as error:
        return fail(str(error))
    if made is not None:
        print(f"juhe-mock: TLS with a self-signed certificate for 127.0.0.1, ::1 and "
              f"localhost (one day): {made / 'cert.pem'}", file=sys.stderr, flush=True)  # fmt: skip
    try:
        if config.workers > 1:
            from .workers import serve_workers

            return serve_workers(config)
        return _serve_here(config, made)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _serve_here(config: MockConfig, made: Path | None = None) -> int:
    """Serve in this process, on one event loop, until SIGTERM/SIGINT (the default).

    The first signal drains (new connections refused, the answers in flight delivered,
    their waits cut short after ``--drain-timeout``) and exits 0; a second one exits at
    once with status 1.
    """
    from ..scenario.errors import ConfigError
    from ..state.connect import StateError
    from ..web.door_async import MockAsgi
    from ..web.setup import build_runtime
    from .cut import drop_connection
    from .logs import configure_logging
    from .loop import Serving, reserve_port, scheme
    from .reload import Reloader

    try:
        runtime = build_runtime(config)
    except (ConfigError, StateError, SettingsError) as error:
        return fail(str(error))
    if runtime.proxy is not None:
        from ..proxy.setup import start_notes

        for note in start_notes(config, runtime.proxy):
            print(f"juhe-mock: {note}", file=sys.stderr, flush=True)
    try:
        held = reserve_port(config.host, config.port)
    except socket.gaierror:
        return fail(f"--host: cannot resolve {config.host!r} to an address")
    except OSError as error:
        return fail(f"cannot listen on {config.host}:{config.port}: {error}")
    port = int(held.getsockname()[1])
    flush_logs = configure_logging(config.log_format)
    host = f"[{config.host}]" if ":" in config.host else config.host
    app = MockAsgi(runtime, threads=config.threads or FLASK_THREADS, drop=drop_connection)

    def ready() -> None:
        held.close()
        print(f"juhe-mock serving on {scheme(config)}://{host}:{port}", flush=True)

    serving = Serving(app, config, port, ready)
    reloader = Reloader(runtime)

    def on_signal() -> None:
        if serving.stopping:  # a second signal: no more waiting
            flush_logs()
            fail("a second signal: stopped without waiting for the answers in flight")
            os._exit(1)
        serving.stop()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal)
        loop.add_signal_handler(signal.SIGHUP, reloader.on_signal)
        watching = asyncio.ensure_future(reloader.watch()) if config.watch else None
        try:
            await serving.run()
        finally:
            if watching is not None:
                watching.cancel()

    try:
        asyncio.run(run())
    finally:
        held.close()
        flush_logs()
    sys.stdout.flush()
    sys.stderr.flush()
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)  # os._exit skips main's own clean-up
    # granian's Rust threads may hold the interpreter's exit up for a second or two while
    # they close the last sockets; everything of ours is written, so leave at once.
    os._exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
