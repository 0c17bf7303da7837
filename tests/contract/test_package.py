"""``import contract`` gives the catalogue, the schemas, validate and the strategies."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import contract


def test_import_contract_gives_every_part() -> None:
    assert len(contract.TENURE_CODES) == 6
    assert len(contract.ERROR_CODES) == 18
    assert isinstance(contract.schemas, types.ModuleType)
    assert contract.schemas.load("response")["oneOf"]
    assert contract.validate(contract.error_body(234803)) == []
    assert isinstance(contract.strategies, types.ModuleType)
    assert contract.strategies.response_bodies() is not None


def test_every_public_name_exists() -> None:
    missing = [name for name in contract.__all__ if not hasattr(contract, name)]
    assert missing == []


@pytest.mark.subprocess
def test_import_contract_does_not_load_hypothesis() -> None:
    # The mock and the client import contract at run time; Hypothesis is for tests only.
    code = "import sys, contract; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        contract.no_such_name  # noqa: B018
