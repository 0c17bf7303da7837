"""Every ```python block in README.md and docs/*.md runs, so the examples never rot.

Each block runs in a fresh namespace, from the repository root; a block that raises fails
its test, named by file and line. The README's codes tables must equal the catalogue's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from contract import documents

from ..helpers.paths import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# An opening fence of exactly "python", its body, and the closing fence.
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append((f"{page.relative_to(ROOT)}:{line}", match.group(1)))
    return found


BLOCKS = _blocks()
#: What in a block starts a process: MockServer(tls=True) makes its certificate with openssl.
_STARTS_A_PROCESS = ("tls=True",)


def _params() -> list[Any]:
    return [
        pytest.param(where, source, id=where, marks=[pytest.mark.subprocess]
                     if any(s in source for s in _STARTS_A_PROCESS) else [])
        for where, source in BLOCKS
    ]  # fmt: skip


def test_readme_has_python_examples() -> None:
    assert any(where.startswith("README.md:") for where, _ in BLOCKS)


@pytest.mark.parametrize(("where", "source"), _params())
def test_example_block_runs(where: str, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = compile(source, where, "exec")
    exec(code, {"__name__": "readme_example"})


def test_readme_codes_tables_match_the_catalogue() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(documents.CODES_BEGIN) + len(documents.CODES_BEGIN)
    block = text[start : text.index(documents.CODES_END)]
    assert block == "\n" + documents.build_codes_markdown(), "run `python -m contract.documents`"
