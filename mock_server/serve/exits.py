"""The exit statuses of ``juhe-mock``, and the one way it reports a usage problem."""

from __future__ import annotations

import sys

__all__ = ["EXIT_OK", "EXIT_USAGE", "fail"]

#: Stopped by SIGTERM/SIGINT after serving.
EXIT_OK = 0
#: Settings that cannot work: a bad option, scenario file, state URL or port.
EXIT_USAGE = 2


def fail(message: str, status: int = EXIT_USAGE) -> int:
    """Print ``juhe-mock: message`` (one line) on stderr; returns ``status``."""
    print(f"juhe-mock: {message}", file=sys.stderr)
    return status
