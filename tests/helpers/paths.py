"""The repository's folders and files that the tests read."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mock_server.scenario import library

ROOT = Path(__file__).resolve().parents[2]
#: Where this interpreter's console scripts are (juhe-mock, juhe-contract, juhe-tenure, st).
BIN = Path(sys.executable).parent
DOCS = ROOT / "docs"
FIXTURES = ROOT / "fixtures"
ARTIFACTS = ROOT / "artifacts"
#: The shipped named scenarios (package data; fixtures/scenarios links here).
SCENARIOS = Path(library.__file__).parent / "named"
#: The scenario that makes juhe-mock play live for the contract suite's own proof.
STAND_IN = FIXTURES / "stand-in.yaml"
#: The one key fixtures/stand-in.yaml accepts (pass it as --juhe-key / --key / JUHE_KEY).
SUITE_KEY = "juhe-contract-suite-key"
#: Known answers of the mock (its magic numbers): the canaries of ``--juhe-target mock``.
SAMPLE_CANARIES = FIXTURES / "canaries.json"
#: The contract suite (``pytest tests/contract/conformance/suite --juhe-target ...``).
SUITE = ROOT / "tests" / "contract" / "conformance" / "suite"


def read_fixture(name: str) -> Any:
    """A JSON file of ``fixtures/``, parsed."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
