"""The named scenarios the dashboard offers one click away (``GET /__admin/scenarios/named``).

They are read from the package's own folder of scenarios when the installation has one
(:data:`PACKAGE_FOLDER`, package data), else from the clone's ``fixtures/scenarios`` when
the package runs from a clone; an installation with neither offers none. Each comes with
its text, so that applying one is the same ``PUT /__admin/scenarios`` as any edit.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importlib.abc's on 3.10, importlib.resources.abc's from 3.11
    from importlib.abc import Traversable

__all__ = ["PACKAGE_FOLDER", "named_scenarios"]

#: (package, folder): where shipped named scenarios live as package data.
PACKAGE_FOLDER = ("mock_server.scenario", "named")
#: The clone's folder of named scenarios, relative to the directory above the package.
CLONE_FOLDER = Path("fixtures") / "scenarios"
#: A summary longer than this is cut.
SUMMARY_CHARS = 200


def _folders() -> list[Traversable]:
    package, folder = PACKAGE_FOLDER
    shipped = resources.files(package).joinpath(folder)
    clone = Path(__file__).resolve().parents[2] / CLONE_FOLDER
    return [shipped, clone]


def _summary(text: str, name: str) -> str:
    """The first sentence of the file's opening comment, without the ``name:`` it starts with."""
    words = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        words.append(stripped.lstrip("#").strip())
    said = " ".join(words).removeprefix(f"{name}:").strip()
    first, dot, _ = said.partition(". ")
    return first + dot.strip() if len(first) <= SUMMARY_CHARS else first[:SUMMARY_CHARS] + "…"


def named_scenarios() -> list[dict[str, Any]]:
    """``[{"name", "summary", "text"}]`` by name, from the first folder that has any."""
    for folder in _folders():
        if not folder.is_dir():
            continue
        files = sorted(
            (f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))),
            key=lambda f: f.name,
        )
        if not files:
            continue
        found = []
        for file in files:
            name = file.name.rsplit(".", 1)[0]
            text = file.read_text(encoding="utf-8")
            found.append({"name": name, "summary": _summary(text, name), "text": text})
        return found
    return []
