"""The toolkit's version, from the installed package's metadata: what ``--version`` prints
on ``juhe-mock``, ``juhe-contract`` and ``juhe-tenure``."""

from __future__ import annotations

from importlib import metadata

__all__ = ["DISTRIBUTION", "version", "version_line"]

#: The distribution the three packages ship in (``pyproject.toml``'s ``name``).
DISTRIBUTION = "juhe-tenure-toolkit"


def version() -> str:
    """The installed version, or ``unknown`` when run from a tree that is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def version_line(prog: str) -> str:
    """``PROG VERSION (juhe-tenure-toolkit)``, for argparse's ``version`` action."""
    return f"{prog} {version()} ({DISTRIBUTION})"
