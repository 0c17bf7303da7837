"""``juhe-mock`` (and ``python -m mock_server``): serve the mock with granian or waitress.

The options become one :class:`~mock_server.config.MockConfig`, built as every mock's
settings are (defaults, the ``JUHE_MOCK_*`` environment, then the options given). By
default granian serves it with one worker process (:mod:`.workers`): one process, so every
counter stays exact. ``--server waitress`` serves it in this process.

The first line on stdout is ``juhe-mock serving on http://HOST:PORT`` with the real port,
flushed at once. Request logs (one line each, key fingerprint only, never a phone
number) go to stderr. SIGTERM or SIGINT stops it cleanly. A bad scenario file: one line
naming the file, the field and why, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from collections.abc import Sequence
from types import FrameType

from ..config import ENVIRONMENT, LOG_FORMATS, SERVERS, MockConfig, SettingsError
from .exits import EXIT_OK, fail

__all__ = ["main"]

WAITRESS_THREADS = 8


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
        argument_default=argparse.SUPPRESS,
    )
    add = parser.add_argument
    add("--host", help="address to bind (127.0.0.1)" + _env("host"))
    add("--port", type=_port, help="port (8000; 0 = a free one)" + _env("port"))
    add(
        "--scenarios", action="append", metavar="PATH",
        help="a scenario file (YAML or JSON); repeatable, merged in order" + _env("scenarios"),
    )  # fmt: skip
    add("--seed", type=int, help="seed of every choice" + _env("seed"))
    add(
        "--server", choices=SERVERS,
        help="the HTTP server: granian (default; one worker process unless --workers) or "
        "waitress (in this process; one worker only)" + _env("server"),
    )  # fmt: skip
    add(
        "--threads", type=int, metavar="N",
        help=f"request threads per worker (granian: 4; waitress: {WAITRESS_THREADS})"
        + _env("threads"),
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
    given = vars(_parser().parse_args(argv))
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
    if config.server == "granian":
        from .workers import serve_workers

        return serve_workers(config)
    if config.workers > 1:
        return fail(
            f"--workers {config.workers}: several workers need --server granian "
            "(waitress serves one process)"
        )
    return _serve_here(config)


def _serve_here(config: MockConfig) -> int:
    """Serve with waitress in this process until SIGTERM/SIGINT."""
    from ..scenario.errors import ConfigError
    from ..state.connect import StateError
    from ..web.app import create_app, runtime_of
    from .logs import configure_logging
    from .server import make_server

    try:
        app = create_app(config)
    except (ConfigError, StateError) as error:
        return fail(str(error))
    try:
        server = make_server(app, config.host, config.port, config.threads or WAITRESS_THREADS)
    except OSError as error:
        return fail(f"cannot listen on {config.host}:{config.port}: {error}")
    except ValueError:  # waitress: the host does not resolve to an address
        return fail(f"--host: cannot resolve {config.host!r} to an address")
    flush_logs = configure_logging(config.log_format)
    host = f"[{config.host}]" if ":" in config.host else config.host
    runtime = runtime_of(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        # Requests waiting out a latency or drip rule end at once, so that waitress's
        # shutdown (which waits for its threads) takes well under a second.
        runtime.stop_pausing()
        raise SystemExit(EXIT_OK)

    # Handlers first: a script may signal as soon as it has read the serving line.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"juhe-mock serving on http://{host}:{server.effective_port}", flush=True)
    try:
        server.run()  # returns after SystemExit, having shut its worker threads down
    finally:
        server.close()
        flush_logs()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
