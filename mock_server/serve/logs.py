"""The mock's logs: one line per request on stderr, written by one thread.

Lines carry the key's fingerprint and a prefix of the mobile's hash, never a key or a
number. Request threads only put a record on a queue; one listener thread formats and
writes, so that no request thread waits on the stream's lock.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..web.answer import REQUEST_LOG

__all__ = ["SERVE_LOG", "configure_logging"]

#: The server's own lines (a reload done or refused), written by the same thread as the
#: request log so that lines never interleave; text: ``juhe-mock: ...``, json: an object.
SERVE_LOG = logging.getLogger("mock_server.serve")


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


def configure_logging(fmt: str) -> Callable[[], None]:
    """Send request and waitress logs to stderr; returns the function that flushes them.

    Request threads only put a record on a queue; one listener thread formats and writes,
    so that request threads never queue on the stream's lock.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, handler)
    enqueue = _Enqueue(records)
    REQUEST_LOG.addHandler(enqueue)
    REQUEST_LOG.setLevel(logging.INFO)
    REQUEST_LOG.propagate = False
    SERVE_LOG.addHandler(enqueue)
    SERVE_LOG.setLevel(logging.INFO)
    SERVE_LOG.propagate = False
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
