"""``juhe-mock``'s log set-up (``serve.logs.configure_logging``) run in the test's own
process, writing to a string, with every logger it touches put back afterwards."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mock_server.serve.logs import configure_logging
from mock_server.web.answer import log_requests_to

#: The loggers configure_logging sets (it still quiets waitress's two).
LOGGERS = ("mock_server.requests", "mock_server.serve", "waitress", "waitress.queue")


@contextmanager
def configured_logs(fmt: str = "text") -> Iterator[tuple[io.StringIO, Callable[[], None]]]:
    """The stream the request log and the server's lines go to, and the writer's flush."""
    saved = [(logging.getLogger(n), logging.getLogger(n).handlers[:]) for n in LOGGERS]
    state = [(logger, logger.level, logger.propagate) for logger, _ in saved]
    stream = io.StringIO()
    flush = configure_logging(fmt, stream)
    try:
        yield stream, flush
    finally:
        flush()
        log_requests_to(None)
        for logger, handlers in saved:
            logger.handlers[:] = handlers
        for logger, level, propagate in state:
            logger.setLevel(level)
            logger.propagate = propagate
