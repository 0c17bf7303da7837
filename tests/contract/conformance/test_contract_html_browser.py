"""``juhe-contract check --html`` in a real browser: headless Chromium opens the page from
disk, runs no script, loads nothing, logs no error, and shows the verdict, the probes, the
codes and the spend; its screenshot is a CI artifact beside the dashboard's
(``artifacts/contract-report.png``; ``JUHE_CONTRACT_SCREENSHOT`` overrides).

Skips without Chromium, its driver or Selenium locally, fails under ``CI=true``
(``tests/helpers/browser.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract.conformance.cli import main

from ...helpers.browser import chromium, console_errors
from ...helpers.paths import ROOT, SAMPLE_CANARIES
from ...helpers.standin import StandIn

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

SCREENSHOT = ROOT / "artifacts" / "contract-report.png"
WIDTH = 1440


def screenshot_path() -> Path:
    return Path(os.environ.get("JUHE_CONTRACT_SCREENSHOT") or SCREENSHOT)


def test_the_page_in_chromium(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A run worth looking at: conforming probes, a drifting canary, warnings on the wrong
    # key's echo, probes the budget did not send, and a ledger.
    page = tmp_path / "report.html"
    status = main([
        "check", "--base-url", stand_in.url, "--budget", "3", "--key", stand_in.key,
        "--canaries", str(SAMPLE_CANARIES), "--seed", "20261128",
        "--ledger", str(tmp_path / "ledger.json"), "--day-cap", "10", "--html", str(page),
    ])  # fmt: skip
    capsys.readouterr()
    assert status == 1
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(page.as_uri())
        assert driver.title.startswith("juhe-contract check http://127.0.0.1:")
        assert driver.execute_script("return document.scripts.length") == 0
        # Nothing fetched: no stylesheet, font or image, from a CDN or anywhere.
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert fetched == []
        assert console_errors(driver) == []  # no CSP refusal, no failed load
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.text == "verdict: DRIFT (13 probes sent, 1 drifted)"
        assert verdict.is_displayed()
        rows = driver.find_elements(By.CSS_SELECTOR, "#probes tbody tr")
        assert len(rows) == 17 and all(row.is_displayed() for row in rows)
        drift = driver.find_element(By.CSS_SELECTOR, "#probes tr.row-drift")
        assert "[expected-tenure]" in drift.text
        chips = driver.find_elements(By.CSS_SELECTOR, "#codes .code")
        assert len(chips) == 19
        assert "3 of budget 3" in driver.find_element(By.ID, "spend").text
        # The page fits the width of a laptop's window: nothing runs off to the right.
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # The whole page in one picture: the viewport made as tall as the page.
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": int(height), "deviceScaleFactor": 1, "mobile": False},
        )
        path = screenshot_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
