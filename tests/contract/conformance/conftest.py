"""Helpers for the toolkit's tests: ``juhe-mock`` as a real process, pytest in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from ..served import ServedMock
from ..standin import StandIn

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STAND_IN = ROOT / "fixtures" / "stand-in.yaml"
SAMPLE_CANARIES = ROOT / "fixtures" / "canaries.json"
SUITE = ROOT / "tests" / "contract" / "suite"
#: The one key the stand-in accepts (fixtures/stand-in.yaml).
SUITE_KEY = "juhe-contract-suite-key"


@contextmanager
def juhe_mock_process(*scenarios: Path) -> Iterator[str]:
    """``juhe-mock --port 0`` as a separate process; yields its base URL, stops it after."""
    with ServedMock(*(arg for path in scenarios for arg in ("--scenarios", str(path)))) as served:
        yield served.url


def usage_of(base_url: str) -> dict[str, Any]:
    """The stand-in's billing ledger (``GET /__admin/usage``, loopback only)."""
    response = requests.get(base_url + "/__admin/usage", timeout=5)
    response.raise_for_status()
    usage: dict[str, Any] = response.json()
    return usage


def write_scenario(tmp_path: Path, name: str, document: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def run_pytest(
    *args: str, cwd: Path = ROOT, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess of this interpreter (the plugin loads by its entry point),
    without the caller's ``JUHE_*`` variables; ``env`` adds some back."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JUHE_", "PYTEST_"))}
    env = {**clean, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A server on loopback that plays live (tests/standin.py), stopped after the test."""
    with StandIn() as server:
        yield server
