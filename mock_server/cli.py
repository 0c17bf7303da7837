"""``juhe-mock`` (and ``python -m mock_server``): serve the mock with granian or waitress.

By default granian serves it with one worker process (``--server granian``, see
:mod:`mock_server.workers`): one process, so every counter stays exact, at several times
waitress's throughput. ``--server waitress`` serves it in this process with waitress.

The first line on stdout is ``juhe-mock serving on http://HOST:PORT`` with the real port,
flushed at once. Request logs (one line each, key fingerprint only, never a phone
number) go to stderr. SIGTERM or SIGINT stops it cleanly. A bad scenario file: one line
naming the file, the field and why, exit status 2.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import logging.handlers
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from .app import REQUEST_LOG, create_app, runtime_of
from .config import ConfigError
from .docs import magic_table_markdown
from .runtime import MockConfig
from .schema import SCENARIO_SCHEMA
from .server import make_server
from .workers import StateError, add_scale_options, open_state, serve_workers

__all__ = ["main"]

EXIT_CONFIG = 2
#: The environment variable behind ``--server``.
SERVER_ENV = "JUHE_MOCK_SERVER"
#: Default ``--threads`` per server. granian's are its blocking threads, which run the app:
#: measured at c=32 (wrk, quiet 2-core machine) 1 thread served 21.2k req/s, 2: 20.5-21.1k,
#: 4: 19.7-20.4k, 8: 17.6-19.1k, with p99 lowest at 1 and worst at 8 (GIL hand-offs). A
#: latency or drip rule holds its thread while it waits, so 1 would stop all else behind
#: one slow answer; 4 keeps three free at twice WireMock's rate (see docs/scaling.md).
GRANIAN_THREADS = 4
WAITRESS_THREADS = 8


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] | None = getattr(record, "entry", None)
        if entry is None:
            return super().format(record)
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


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        if entry is None:
            entry = {"level": record.levelname.lower(), "message": record.getMessage()}
        return json.dumps(entry, ensure_ascii=False)


def _port(text: str) -> int:
    """``--port``: 0-65535 (waitress took 99999 silently modulo 65536)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juhe-mock",
        description="A faithful fake of Juhe's 在网时长 sha256 (China Unicom) API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port (8000; 0 = a free one)")
    parser.add_argument(
        "--scenarios", action="append", default=[], metavar="PATH",
        help="a scenario file (YAML or JSON); repeatable, merged in order",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="seed of every choice")
    parser.add_argument(
        "--server", choices=["granian", "waitress"],
        default=os.environ.get(SERVER_ENV) or "granian",
        help=f"the HTTP server (env {SERVER_ENV}): granian (default; one worker process "
        "unless --workers) or waitress (in this process; one worker only)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help=f"request threads per worker (granian: {GRANIAN_THREADS}; waitress: "
        f"{WAITRESS_THREADS})",
    )  # fmt: skip
    parser.add_argument(
        "--admin-token", default=None,
        help="require this token on /__admin (then it answers non-loopback clients too)",
    )  # fmt: skip
    parser.add_argument("--log-format", choices=["text", "json"], default="text")
    add_scale_options(parser)
    parser.add_argument(
        "--print-schema", action="store_true",
        help="print the scenario document's JSON Schema and exit",
    )  # fmt: skip
    parser.add_argument(
        "--print-magic-table", action="store_true",
        help="print the magic numbers as a Markdown table and exit",
    )  # fmt: skip
    return parser


def _configure_logging(fmt: str) -> Callable[[], None]:
    """Send request and waitress logs to stderr; returns the function that flushes them.

    Request threads only put a record on a queue; one listener thread formats and writes.
    A StreamHandler called from every request thread made them queue on its lock around
    one write() each, and the mock served fewer requests at c=32 than at c=1.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, handler)
    enqueue = _Enqueue(records)
    REQUEST_LOG.addHandler(enqueue)
    REQUEST_LOG.setLevel(logging.INFO)
    REQUEST_LOG.propagate = False
    waitress_log = logging.getLogger("waitress")
    waitress_log.addHandler(enqueue)
    waitress_log.setLevel(logging.WARNING)
    # "Task queue depth is N" only says that a burst outran the threads for a moment; it
    # would break the promise of exactly one log line per request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    listener.start()
    stopped = threading.Event()

    def flush() -> None:
        if not stopped.is_set():
            stopped.set()
            listener.stop()  # writes every queued record, then ends the thread

    atexit.register(flush)
    return flush


class _Enqueue(logging.handlers.QueueHandler):
    """A QueueHandler that leaves formatting to the listener's handler.

    The stock one formats every record in the request thread, work the listener's own
    formatter then does again; here the record goes on the queue as it is.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mock until SIGTERM/SIGINT; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.print_schema:
        print(json.dumps(SCENARIO_SCHEMA, ensure_ascii=False, indent=2))
        return 0
    if args.print_magic_table:
        print(magic_table_markdown(), end="")
        return 0
    if args.server not in ("granian", "waitress"):  # from the environment, unchecked
        print(
            f"juhe-mock: {SERVER_ENV}: {args.server!r} is not granian or waitress", file=sys.stderr
        )
        return EXIT_CONFIG
    if args.threads is None:
        args.threads = GRANIAN_THREADS if args.server == "granian" else WAITRESS_THREADS
    if args.threads < 1:
        print("juhe-mock: --threads: must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    if args.workers < 1:
        print("juhe-mock: --workers: must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    if args.server == "granian":
        return serve_workers(args)
    if args.workers > 1:
        print(
            f"juhe-mock: --workers {args.workers}: several workers need --server granian "
            "(waitress serves one process)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        store = open_state(args.state, args.namespace)
    except StateError as error:
        print(f"juhe-mock: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        app = create_app(
            MockConfig(
                scenarios=args.scenarios, seed=args.seed, admin_token=args.admin_token, store=store
            )
        )
    except ConfigError as error:
        print(f"juhe-mock: {error}", file=sys.stderr)
        return EXIT_CONFIG
    answer_failures = getattr(store, "answer_failures", None)
    if answer_failures is not None:
        answer_failures(app)  # Redis failing mid-run: a clear 503, not a 500
    try:
        server = make_server(app, args.host, args.port, args.threads)
    except OSError as error:
        print(f"juhe-mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except ValueError:  # waitress: the host does not resolve to an address
        print(f"juhe-mock: --host: cannot resolve {args.host!r} to an address", file=sys.stderr)
        return EXIT_CONFIG
    flush_logs = _configure_logging(args.log_format)
    host = f"[{args.host}]" if ":" in args.host else args.host
    runtime = runtime_of(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        # Requests waiting out a latency or drip rule end at once, so that waitress's
        # shutdown (which waits for its threads) takes well under a second.
        runtime.stop_pausing()
        raise SystemExit(0)

    # Handlers first: a script may signal as soon as it has read the serving line.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"juhe-mock serving on http://{host}:{server.effective_port}", flush=True)
    try:
        server.run()  # returns after SystemExit, having shut its worker threads down
    finally:
        server.close()
        flush_logs()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
