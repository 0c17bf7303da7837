"""The docs' tables that come from the code, so that they cannot drift from it: the
options of ``juhe-mock`` (from its own parser) in ``docs/mock-server.md`` and the shipped
scenarios (from their files' ``description``) in ``docs/scenarios.md``.

A test proves the committed tables equal these; after changing an option or a shipped
scenario, rewrite them with ``python -m mock_server.serve.doctables``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = [
    "OPTIONS_BEGIN",
    "OPTIONS_END",
    "SCENARIOS_BEGIN",
    "SCENARIOS_END",
    "options_markdown",
    "scenarios_markdown",
    "update_docs",
]

OPTIONS_BEGIN = "<!-- generated: options (python -m mock_server.serve.doctables) -->"
OPTIONS_END = "<!-- /generated: options -->"
SCENARIOS_BEGIN = "<!-- generated: scenarios (python -m mock_server.serve.doctables) -->"
SCENARIOS_END = "<!-- /generated: scenarios -->"


def _spelling(action: argparse.Action) -> str:
    option = max(action.option_strings, key=len)
    if action.nargs == 0:
        return f"`{option}`"
    if action.choices:
        return f"`{option} " + "\\|".join(str(c) for c in action.choices) + "`"
    return f"`{option} {action.metavar or action.dest.upper()}`"


def options_markdown() -> str:
    """Every option of ``juhe-mock``: how it is spelled, what it does, its variable."""
    from ..config import ENVIRONMENT
    from .cli import _parser

    lines = ["| option | meaning | environment |", "|---|---|---|"]
    for action in _parser()._actions:
        if not action.option_strings or action.dest == "help":
            continue
        env = ENVIRONMENT.get(action.dest)
        meaning = (action.help or "").replace(f" (env {env})", "") if env else action.help
        if action.dest == "version":
            meaning = "print the version (from the package metadata) and exit"
        where = f"`{env}`" if env else "—"
        lines.append(f"| {_spelling(action)} | {(meaning or '').replace('|', '/')} | {where} |")
    return "\n".join(lines) + "\n"


def scenarios_markdown() -> str:
    """The shipped scenarios: the name to give and what each does."""
    from ..scenario.library import catalogue

    lines = ["| name | what it does |", "|---|---|"]
    lines += [f"| `{name}` | {description} |" for name, description in catalogue()]
    return "\n".join(lines) + "\n"


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + block + text[stop:]


def default_json(yaml_text: str) -> str:
    """``scenario/default.yaml`` as the JSON a start reads (``scenario/default.json``)."""
    import yaml

    return json.dumps(yaml.safe_load(yaml_text), ensure_ascii=False, indent=2) + "\n"


def update_docs(root: Path) -> list[Path]:
    """Rewrite the generated tables under the checkout ``root``, and the built-in default's
    JSON twin; the files changed."""
    changed = []
    folder = root / "mock_server" / "scenario"
    twin = folder / "default.json"
    made = default_json((folder / "default.yaml").read_text(encoding="utf-8"))
    if not twin.exists() or twin.read_text(encoding="utf-8") != made:
        twin.write_text(made, encoding="utf-8")
        changed.append(twin)
    for name, begin, end, block in (
        ("mock-server.md", OPTIONS_BEGIN, OPTIONS_END, options_markdown()),
        ("scenarios.md", SCENARIOS_BEGIN, SCENARIOS_END, scenarios_markdown()),
    ):
        path = root / "docs" / name
        text = path.read_text(encoding="utf-8")
        updated = _replace_block(text, begin, end, block)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for changed in update_docs(Path(__file__).resolve().parents[2]):
        print(changed)
