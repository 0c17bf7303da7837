"""The toolkit's version, from the installed package's metadata: what ``--version`` prints
on ``juhe-mock``, ``juhe-contract`` and ``juhe-tenure``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["DISTRIBUTION", "VersionAction", "version", "version_line"]

#: The distribution the three packages ship in (``pyproject.toml``'s ``name``).
DISTRIBUTION = "juhe-tenure-toolkit"


def version() -> str:
    """The installed version, or ``unknown`` when run from a tree that is not installed."""
    # Imported here: importlib.metadata (with the email package it pulls in) costs ~30 ms,
    # a tenth of juhe-mock's start, and only --version needs it.
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def version_line(prog: str) -> str:
    """``PROG VERSION (juhe-tenure-toolkit)``, for argparse's ``version`` action."""
    return f"{prog} {version()} ({DISTRIBUTION})"


class VersionAction(argparse.Action):
    """``--version``: prints :func:`version_line` and exits 0, looking the version up only
    when asked (argparse's own ``version`` action wants the text when the parser is built,
    which would read the metadata on every start)."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, program: str | None = None, **kwargs: Any
    ) -> None:
        self.program = program  # the name to print; the parser's ``prog`` when None
        kwargs.setdefault("help", "show the version and exit")
        kwargs["default"] = argparse.SUPPRESS
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        print(version_line(self.program or parser.prog))  # to stdout, as argparse's own action does
        parser.exit()
