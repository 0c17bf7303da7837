"""What ``juhe-mock`` does without serving: ``validate FILE...`` and ``--list-scenarios``.

``juhe-mock validate`` reads each scenario file (YAML or JSON; a bare name is a shipped
scenario) exactly as ``--scenarios`` would, compiles it, and serves nothing: for
pre-commit hooks and CI. Exit status 0 when every file is valid, 2 otherwise, with one
``FILE: $.json.path: why`` line on stderr for each bad file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contract.version import VersionAction

from .exits import EXIT_OK, EXIT_USAGE

__all__ = ["list_scenarios", "validate_main"]


def _validate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juhe-mock validate",
        description="Check scenario files (YAML or JSON) without serving; exit 0 if every "
        "one is valid, 2 naming the file, the field and why otherwise.",
    )
    parser.add_argument("--version", action=VersionAction, program="juhe-mock")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing for valid files")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="a scenario file, or a shipped scenario's name"
    )
    return parser


def validate_main(argv: Sequence[str]) -> int:
    """``juhe-mock validate FILE...``; returns the exit status."""
    args = _validate_parser().parse_args(argv)
    from ..config import MockConfig
    from ..runtime import MockRuntime
    from ..scenario.errors import ConfigError

    status = EXIT_OK
    for name in args.files:
        try:
            # As --scenarios loads it: read, compiled, merged on the built-in defaults.
            MockRuntime(MockConfig(scenarios=[name]))
        except ConfigError as error:
            print(f"juhe-mock: {error}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        if not args.quiet:
            print(f"{name}: valid")
    return status


def list_scenarios() -> int:
    """``juhe-mock --list-scenarios``: each shipped scenario on one line."""
    from ..scenario.library import catalogue

    listed = catalogue()
    width = max(len(name) for name, _ in listed)
    for name, description in listed:
        print(f"{name.ljust(width)}  {description}")
    return EXIT_OK
