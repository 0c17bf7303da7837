"""The named scenarios shipped in the package (``named/*.yaml``): flaky network, quota
exhausted, maintenance, ...

Each is package data, so an installed mock has them as a checkout does: ``juhe-mock
--scenarios maintenance``, ``MockServer(scenarios="maintenance")``,
``juhe_mock.scenario("flaky-network")``, ``AdminClient(url).scenario("chaos")`` and the
``juhe_scenario`` marker take a bare name, and ``juhe-mock --list-scenarios`` lists them
with each file's ``description``. A path that exists is always a file: a name is looked up
only for a bare word (letters, digits, ``-``) that names no file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

__all__ = ["catalogue", "is_bare_name", "named_text", "names", "source_label"]

_FOLDER = "named"
_SUFFIX = ".yaml"
_BARE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _folder() -> Traversable:
    return resources.files(__package__).joinpath(_FOLDER)


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The shipped scenarios' names, sorted."""
    found = (entry.name for entry in _folder().iterdir() if entry.name.endswith(_SUFFIX))
    return tuple(sorted(name[: -len(_SUFFIX)] for name in found))


def is_bare_name(source: str | Path) -> bool:
    """Whether ``source`` could be a shipped scenario's name (a word, not a path)."""
    return isinstance(source, str) and _BARE.fullmatch(source) is not None


def source_label(name: str) -> str:
    """How errors name a shipped scenario: its file inside the package."""
    return f"mock_server/scenario/{_FOLDER}/{name}{_SUFFIX}"


def named_text(name: str) -> str | None:
    """The YAML text of the shipped scenario ``name``, or None if there is none."""
    if name not in names():
        return None
    text: str = _folder().joinpath(name + _SUFFIX).read_text(encoding="utf-8")
    return text


def catalogue() -> list[tuple[str, str]]:
    """``(name, description)`` of every shipped scenario, for ``--list-scenarios`` (our own
    files, each validated by a test, so read here without the validator)."""
    import yaml  # here, not at start: only the listing reads them this way

    listed = []
    for name in names():
        document = yaml.safe_load(named_text(name) or "") or {}
        listed.append((name, str(document.get("description", ""))))
    return listed
