"""The mock's logs: one line per request on stderr, written in batches by one thread.

Lines carry the key's fingerprint and a prefix of the mobile's hash, never a key or a
number. A request costs the event loop its line's formatting and one ``deque.append`` (no
``LogRecord``, no handler, no lock): :class:`LogWriter`'s thread wakes every
:data:`WRITE_EVERY_S` and writes what has gathered with one ``write``. The server's own
lines (a reload done or refused) are log records as before, formatted when made and queued
on the same deque, so that lines never interleave and keep their order.

Why (``bench/run --profile``): a log record per request through a ``QueueHandler`` to a
listener thread cost about as much CPU as the engine, the journal and the ledger together,
and the listener, woken for every record, took the GIL from the loop thousands of times a
second; formatting in the writer instead of on the loop measured dearer (the entries wait
as garbage-collector containers).
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

from ..web import answer

__all__ = [
    "IDLE_EVERY_S",
    "SERVE_LOG",
    "WRITE_EVERY_S",
    "LogWriter",
    "configure_logging",
    "json_line",
    "text_line",
]

#: The server's own lines (a reload done or refused), written by the same thread as the
#: request log so that lines never interleave; text: ``juhe-mock: ...``, json: an object.
SERVE_LOG = logging.getLogger("mock_server.serve")
#: How often the writer wakes to write what has gathered (a line is out within about this),
#: while lines come; idle, it wakes ever less often, down to once per :data:`IDLE_EVERY_S`.
WRITE_EVERY_S = 0.01
IDLE_EVERY_S = 0.1


def text_line(entry: dict[str, Any]) -> str:
    """A request's line in the text format."""
    outcome = entry["outcome"]
    answer_ = (outcome["fault"] and f"fault={outcome['fault']}") or f"{outcome['error_code']}"
    if outcome["code"] is not None:
        answer_ += f" code={outcome['code']}"
    mobile = entry["mobile"][:12] + "…" if entry["mobile"] else "-"
    return (
        f"{entry['time']} {entry['ip']} {entry['method']} key={entry['key'] or '-'} "
        f"mobile={mobile} -> {answer_} rule={entry['rule'] or '-'} "
        f"{entry['latency_ms']}ms"
    )


#: ``json.dumps(value, ensure_ascii=False)``, the same text, without building an encoder
#: per call (``dumps`` does, for any argument but the defaults).
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def json_line(entry: dict[str, Any]) -> str:
    """A request's line in the JSON format: the journal entry as it is."""
    return _dumps(entry)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] | None = getattr(record, "entry", None)
        if entry is None:
            return super().format(record)
        return text_line(entry)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = getattr(record, "entry", None)
        if entry is None:
            entry = {"level": record.levelname.lower(), "message": record.getMessage()}
        return _dumps(entry)


class LogWriter:
    """One thread that writes the log's lines to ``stream``, a batch at a time.

    :meth:`push` takes one line (no newline). After :meth:`flush` (the server is done) a
    push is written at once, so that nothing said late is lost.
    """

    def __init__(self, stream: TextIO, every_s: float = WRITE_EVERY_S) -> None:
        self._stream = stream
        self._every_s = every_s
        # Lines, not entries: a str is no garbage-collector container, so a batch waiting
        # here costs the collector nothing (a dict would be traversed in every young pass).
        self._pending: deque[str] = deque()
        #: What a request calls: ``deque.append`` (atomic under the GIL, no lock taken).
        self.push: Callable[[str], None] = self._pending.append
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # one batch at a time (the thread, or a flush)
        self._thread = threading.Thread(target=self._run, name="juhe-mock-log", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        every = self._every_s
        while not self._stopped.wait(every):
            # Idle, back off (an idle server should cost nothing); busy, every_s again.
            every = self._every_s if self._drain() else min(every * 2, IDLE_EVERY_S)

    def _drain(self) -> bool:
        """Write what is pending now; False when there was nothing."""
        with self._lock:
            pending = self._pending
            if not pending:
                return False
            take = pending.popleft
            lines = [take() for _ in range(len(pending))]  # what is there now
            lines.append("")
            self.write("\n".join(lines))
            return True

    def write(self, text: str) -> None:
        """Write ``text`` (whole lines) and flush: the one place the log's bytes go out
        (the test session's leak check watches it)."""
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr: nothing to tell it
            pass

    def _write_now(self, line: str) -> None:
        with self._lock:
            self.write(line + "\n")

    def flush(self) -> None:
        """Write everything pushed so far and end the thread; later pushes are written
        as they come."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.push = self._write_now
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._drain()


class _Lines(logging.Handler):
    """Log records (the server's own lines) formatted where made, onto the writer's queue."""

    def __init__(self, writer: LogWriter, formatter: logging.Formatter) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(formatter)
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.push(self.format(record))
        except Exception:
            self.handleError(record)


def configure_logging(fmt: str, stream: TextIO | None = None) -> Callable[[], None]:
    """Send request and server logs to ``stream`` (default: stderr); returns the function
    that writes what is pending and ends the writer's thread (also run at exit)."""
    writer = LogWriter(stream if stream is not None else sys.stderr)
    lines = _Lines(writer, _JsonFormatter() if fmt == "json" else _TextFormatter())
    line_of = json_line if fmt == "json" else text_line

    def log_request(entry: dict[str, Any]) -> None:
        # Formatted here, on the loop: measured cheaper than in the writer (the entry is
        # still in the cache and is freed at once; ``bench/run --profile``).
        writer.push(line_of(entry))

    answer.log_requests_to(log_request)
    for name, level in (("mock_server.requests", logging.INFO), ("mock_server.serve", logging.INFO),
                        ("waitress", logging.WARNING)):  # fmt: skip
        logger = logging.getLogger(name)
        logger.addHandler(lines)
        logger.setLevel(level)
        logger.propagate = False
    # "Task queue depth is N" only says that a burst outran the threads for a moment; it
    # would break the promise of exactly one log line per request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    writer.start()
    atexit.register(writer.flush)
    return writer.flush
