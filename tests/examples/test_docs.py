"""The mock's docs stay true: the README's magic table and scenario examples."""

from __future__ import annotations

import re

import pytest

from contract.documents import MAGIC_BEGIN, MAGIC_END, magic_table_markdown
from mock_server.scenario.document import parse_document

from ..helpers.paths import ROOT, SCENARIOS

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("<!-- section: mock -->") : README.index("<!-- /section: mock -->")]
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PAGES = [ROOT / "docs" / "scenarios.md", ROOT / "docs" / "mock-server.md"]


def test_readme_magic_table_is_current() -> None:
    start = SECTION.index(MAGIC_BEGIN) + len(MAGIC_BEGIN)
    block = SECTION[start : SECTION.index(MAGIC_END)]
    assert block == "\n" + magic_table_markdown(), "run juhe-mock --print-magic-table"


def _yaml_blocks() -> list[tuple[str, str]]:
    found = [("README.md", b) for b in YAML_BLOCK.findall(SECTION)]
    for page in PAGES:
        found += [(page.name, b) for b in YAML_BLOCK.findall(page.read_text(encoding="utf-8"))]
    return found


def test_docs_have_scenario_examples() -> None:
    assert len(_yaml_blocks()) >= 2


@pytest.mark.parametrize(("where", "text"), _yaml_blocks(), ids=lambda v: str(v)[:30])
def test_scenario_examples_in_docs_are_valid(where: str, text: str) -> None:
    parse_document(text, where)


def test_docs_table_lists_every_shipped_scenario() -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    paths = sorted(SCENARIOS.glob("*.yaml"))
    assert len(paths) == 8
    for path in paths:
        assert f"| `{path.stem}` |" in text
