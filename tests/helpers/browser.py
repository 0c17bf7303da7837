"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium.

:func:`chromium` starts the browser with a fresh profile and no network beyond loopback
(every proxied request goes to a closed port, and background fetches are off), and quits it
at the end. Without the browser, its driver or Selenium the tests that need them skip,
saying how to get them; with ``CI`` set to a true value they fail instead, because CI must
prove the dashboard (and ``juhe-contract``'s HTML report) in a real browser, not skip it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .paths import ARTIFACTS
from .processes import unavailable

HOW_TO_GET = (
    "install them with `apt-get install chromium chromium-driver` (Debian) and "
    "`pip install selenium` (the test extra) to run them"
)
#: Where the dashboard's screenshot goes (a CI artifact); JUHE_DASHBOARD_SCREENSHOT overrides.
SCREENSHOT = ARTIFACTS / "dashboard.png"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--proxy-server=http://127.0.0.1:9",
    # Loopback itself is bypassed by default; nothing else is reachable through port 9.
    "--window-size=1440,1080", "--lang=en-US",
)  # fmt: skip


def _missing(reason: str) -> None:
    message = f"{reason}: the browser tests (the dashboard, the HTML report) need it; {HOW_TO_GET}"
    unavailable(message, message + " (CI=true: failing rather than skipping)")


def screenshot_path() -> Path:
    return Path(os.environ.get("JUHE_DASHBOARD_SCREENSHOT") or SCREENSHOT)


def console_errors(driver: Any) -> list[str]:
    """The page's console errors since the last call: script errors, CSP refusals, failed
    loads."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A Selenium WebDriver for headless Chromium, quit (with its driver) at the end."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    binary = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    driver_path = shutil.which("chromedriver")
    if binary is None:
        _missing("no chromium on PATH")
    if driver_path is None:
        _missing("no chromedriver on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP
    with tempfile.TemporaryDirectory(
        prefix="juhe-chromium-", ignore_cleanup_errors=True
    ) as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # An explicit driver path: Selenium Manager (which would download one) never runs.
        service = Service(executable_path=driver_path)
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.set_page_load_timeout(20)
            driver.set_script_timeout(10)
            yield driver
        finally:
            driver.quit()
