"""Keeping the key out of urllib3's log of request lines (any other text: ``contract.scrub_key``).

The client posts the key in a form body, where no URL and no request line carries it. A
caller who opts into GET (``TenureClient(..., method="GET")``) puts it in the URL, and
urllib3 logs every request line (``"GET /...?key=... HTTP/1.1" 200``) at DEBUG, every
retried URL and every redirect; :func:`hide_keys_in_urllib3_logs` rewrites those records.
What the client cannot reach stays the caller's risk: proxies and the server's access log.
"""

from __future__ import annotations

import logging
import re

import urllib3  # noqa: F401  (its modules create their loggers on import)

from contract import KEY_PLACEHOLDER

__all__ = ["KeyParameterFilter", "hide_keys_in_urllib3_logs", "scrub_key_parameter"]

# The ``key`` query parameter wherever a URL appears in a message: any key, so one filter
# serves every client in the process without a registry of their keys.
_KEY_PARAMETER = re.compile(r"(?i)([?&]key=)[^&#\s'\"]*")


def scrub_key_parameter(text: str) -> str:
    """``text`` with the value of every ``key=`` query parameter replaced by ``<key>``."""
    return _KEY_PARAMETER.sub(rf"\1{KEY_PLACEHOLDER}", text)


class KeyParameterFilter(logging.Filter):
    """Rewrites a record whose message holds a URL with a ``key=`` parameter; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        scrubbed = scrub_key_parameter(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_FILTER = KeyParameterFilter()


def hide_keys_in_urllib3_logs() -> None:
    """Add the filter to every urllib3 logger (idempotent).

    A logger's filters see only the records made on that very logger, not its children's,
    so each module's logger gets it: ``urllib3.connectionpool`` (request lines, retries,
    redirects), ``urllib3.util.retry``, ``urllib3.poolmanager`` and the rest.
    """
    manager = logging.Logger.manager
    for name, logger in list(manager.loggerDict.items()):
        ours = name == "urllib3" or name.startswith("urllib3.")
        # addFilter ignores a filter the logger already has, so calling this twice is safe.
        if ours and isinstance(logger, logging.Logger):
            logger.addFilter(_FILTER)
