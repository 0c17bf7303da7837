"""The container's health check: ``python -m mock_server.serve.healthcheck``.

It asks ``/__admin/health`` on the port the server was given, whatever that is: the
arguments of the container's main process (``/proc/1/cmdline``: the ENTRYPOINT's
``--port 8000`` and any ``docker run ... --port 8010`` after it) are read by juhe-mock's
own parser, with the same ``JUHE_MOCK_*`` environment, so the check and the server agree
on the port and the admin token by construction. Exit status 0 healthy, 1 not.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["arguments", "health_url", "main"]

#: The container's main process: juhe-mock, the ENTRYPOINT in exec form.
MAIN_CMDLINE = "/proc/1/cmdline"


def arguments(cmdline: Sequence[str]) -> list[str]:
    """juhe-mock's own arguments in a process's command line: after ``juhe-mock`` (a
    console script started through its shebang shows as ``python /usr/local/bin/juhe-mock
    ...``) or ``-m mock_server``."""
    for i, part in enumerate(cmdline):
        if Path(part).name == "juhe-mock" or (part == "mock_server" and cmdline[i - 1] == "-m"):
            return list(cmdline[i + 1 :])
    return list(cmdline[1:])


def health_url(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, str | None]:
    """The health URL and the admin token of a server run with the arguments ``argv`` in
    ``environ``: on loopback when it listens on every address (the container's case)."""
    from ..config import MockConfig
    from .cli import _parser

    given = vars(_parser().parse_known_args(list(argv))[0])
    for flag in ("list_scenarios", "print_schema", "print_magic_table"):
        given.pop(flag, None)
    config = MockConfig.build(arguments=given, environ=environ)
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(config.host)
    if host is None:
        host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}/__admin/health", config.admin_token


def main(cmdline: str = MAIN_CMDLINE, environ: Mapping[str, str] | None = None) -> int:
    """Check the server whose command line is in the file ``cmdline``; the exit status."""
    try:
        parts = Path(cmdline).read_bytes().split(b"\0")
        argv = arguments([part.decode("utf-8", "replace") for part in parts if part])
        url, token = health_url(argv, os.environ if environ is None else environ)
        request = urllib.request.Request(url, headers={"X-Admin-Token": token} if token else {})
        with urllib.request.urlopen(request, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (OSError, ValueError, SystemExit) as error:
        # Said on stderr (docker inspect shows it), without the token.
        print(f"juhe-mock health check: {type(error).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
