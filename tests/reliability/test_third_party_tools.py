"""Third-party tools against juhe-mock, unchanged: the real ``st`` (Schemathesis) CLI with
the shipped config, on the single-file OpenAPI document.

``st run`` passes with ``contract/schemathesis.toml`` and fails without it (ST201: the API
answers HTTP 200 with an error body where ``required``/``pattern`` suggest a 4xx; the
config says why), so the config is what makes it pass, not luck.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import contract

from ..helpers.paths import ROOT
from ..helpers.served import ServedMock

BUNDLED = Path(contract.__file__).parent / "openapi.bundled.json"
SHIPPED_CONFIG = Path(contract.__file__).parent / "schemathesis.toml"
ST = Path(sys.executable).parent / "st"


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with ServedMock() as served:  # the default server, as a user runs it
        yield served.url


def _st(config: Path, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ST), "--no-color", "--config-file", str(config), "run", str(BUNDLED),
         "--url", url, "--max-examples", "25", "--seed", "7"],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_root_config_is_the_shipped_one() -> None:
    # `st` finds schemathesis.toml in the directory it runs in: the checkout's root links
    # to the package's copy, so there is one file.
    assert (ROOT / "schemathesis.toml").resolve() == SHIPPED_CONFIG.resolve()


@pytest.mark.subprocess
def test_st_run_with_the_shipped_config_passes(mock_url: str, tmp_path: Path) -> None:
    done = _st(SHIPPED_CONFIG, mock_url, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "No issues found" in done.stdout


@pytest.mark.subprocess
def test_st_run_without_it_fails_with_st201(mock_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "schemathesis.toml"
    empty.write_text("", encoding="utf-8")
    done = _st(empty, mock_url, tmp_path)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "ST201 Schema-violating request accepted" in done.stdout
    failures = [line for line in done.stdout.splitlines() if line.strip().startswith("❌ ST")]
    assert failures and all("ST201" in line for line in failures), failures
