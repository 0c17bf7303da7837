"""The dashboard in a real browser: rows appear, a bad edit is refused with its path, a good
one changes the answers, a named scenario is one click away, and no key or number is shown.

Headless Chromium against a mock on loopback (``browser.py``); the screenshot of the run is
saved for CI (``artifacts/dashboard.png``). Few tests, each bounded: the page polls once a
second, and every wait gives up after :data:`WAIT_S`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contract import ERROR_CODES, TENURE_CODES, magic_number, mobile_sha256
from contract.keys import key_fingerprint
from mock_server import MockServer

from ...helpers.answers import fetch, query
from ...helpers.browser import chromium, console_errors, screenshot_path

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

WAIT_S = 10
KEY = "dash-secret-key-7f3a9c"  # a key that must never be shown
OTHER_KEY = "other-secret-key-51d0"
PHONES = [magic_number(code) for code in ("5", "3", "234803", "10012")] + ["13912345678"]


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


def _wait(driver: Any, what: str, check: Callable[[], Any]) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(
        lambda _: check(), message=f"the dashboard did not show {what} within {WAIT_S} s"
    )


def _by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def _text(driver: Any, element_id: str) -> str:
    text: str = _by_id(driver, element_id).text
    return text


def _wait_text(driver: Any, element_id: str, needle: str) -> str:
    """Wait until the element's text has ``needle``; its text."""
    return str(
        _wait(
            driver,
            f"{needle!r} in #{element_id}",
            lambda: needle in _text(driver, element_id) and _text(driver, element_id),
        )
    )


def _rows(driver: Any) -> list[str]:
    """The journal's rows as shown, read in one go (the page re-renders them as it polls)."""
    script = "return [...document.querySelectorAll('#journal-rows tr')].map(r => r.innerText)"
    rows: list[str] = driver.execute_script(script)
    return rows


def _edit(driver: Any, text: str) -> None:
    editor = _by_id(driver, "editor")
    editor.clear()
    editor.send_keys(text)


def _assert_nothing_secret(driver: Any) -> None:
    """Neither key nor any plaintext number anywhere in the DOM, text or attributes."""
    dom = driver.execute_script("return document.documentElement.outerHTML")
    for secret in [KEY, OTHER_KEY, *PHONES]:
        assert secret not in dom, f"{secret!r} is in the page"


def test_dashboard_shows_requests_spend_and_scenario(driver: Any) -> None:
    with MockServer(seed=0) as mock:
        driver.get(mock.url + "/")  # redirected to /__admin/ui
        assert driver.current_url == mock.url + "/__admin/ui"
        _wait_text(driver, "health", "up")
        assert _rows(driver) == []
        named = _wait(driver, "the named scenarios", lambda: _by_id(driver, "named").text)
        assert "quota-exhausted" in named

        for phone in PHONES:
            fetch(mock, query(phone, key=KEY))
        fetch(mock, query(magic_number("1"), key=OTHER_KEY))
        rows = _wait(driver, "six rows", lambda: len(_rows(driver)) == 6 and _rows(driver))
        fingerprint = key_fingerprint(KEY)
        assert fingerprint in rows[1] and key_fingerprint(OTHER_KEY) in rows[0]  # newest first
        assert mobile_sha256(PHONES[-1])[:10] + "…" in rows[1]
        assert ERROR_CODES[10012].words in rows[2]  # outcome words from the catalogue
        assert TENURE_CODES["5"].words in rows[5]
        usage = mock.usage
        assert _by_id(driver, "billable-total").text == str(usage["billable"])
        assert f"would have cost {usage['billable']} calls" in _by_id(driver, "would-cost").text
        assert fingerprint in _by_id(driver, "by-key").text
        assert _by_id(driver, "chart").find_elements("css selector", "rect")

        # Filter by key, then by code; click a row for the whole entry.
        from selenium.webdriver.support.ui import Select

        Select(_by_id(driver, "filter-key")).select_by_value(fingerprint)
        assert len(_rows(driver)) == 5
        Select(_by_id(driver, "filter-code")).select_by_value("10012")
        assert len(_rows(driver)) == 1
        driver.find_element("css selector", "#journal-rows tr").click()
        detail = _wait(driver, "the entry", lambda: _by_id(driver, "detail-json").text)
        assert '"latency_ms"' in detail and '"error_code": 10012' in detail
        _by_id(driver, "detail-close").click()
        _by_id(driver, "filter-clear").click()

        # A broken edit: refused with the validator's path and why; the mock is unchanged.
        _edit(driver, "keys:\n  quota: -1\n")
        _by_id(driver, "apply").click()
        refused = _wait_text(driver, "scenario-status", "Not applied")
        assert "$.keys.quota" in refused and "minimum" in refused, refused
        assert fetch(mock, query(magic_number("2"), key=KEY))["error_code"] == 0

        # A good edit changes the answers. Its rule name is markup, and stays text.
        name = "<b>maintenance</b>"
        _edit(driver, f"rules:\n- name: {name}\n  then:\n    error: 10020\n")
        _by_id(driver, "apply").click()
        _wait_text(driver, "scenario-status", "Edit applied")
        assert fetch(mock, query(magic_number("2"), key=KEY))["error_code"] == 10020
        _wait(driver, "the 10020 row", lambda: ERROR_CODES[10020].words in _rows(driver)[0])
        assert name in _rows(driver)[0]
        assert not driver.find_elements("css selector", "#journal-rows b")
        assert "10020" in _by_id(driver, "editor").get_attribute("value")

        # A named scenario, one click away.
        driver.find_element("css selector", '#named button[data-name="quota-exhausted"]').click()
        _wait_text(driver, "scenario-status", "quota-exhausted applied")
        assert fetch(mock, query(magic_number("4"), key=KEY))["error_code"] == 10012
        for phone in PHONES[:2]:
            fetch(mock, query(phone, key=OTHER_KEY))
        _wait(driver, "eleven rows", lambda: len(_rows(driver)) == 11)
        _assert_nothing_secret(driver)

        path = screenshot_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(path))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # Reset: back to the loaded scenario, the journal and the spend cleared.
        _by_id(driver, "reset").click()
        _wait(driver, "the journal emptied", lambda: _rows(driver) == [])
        assert _by_id(driver, "billable-total").text == "0"
        assert fetch(mock, query(magic_number("4"), key=KEY))["error_code"] == 0
        # The one error the console saw: the broken edit's 400.
        errors = console_errors(driver)
        assert len(errors) == 1 and "/__admin/scenarios" in errors[0] and "400" in errors[0], errors


def test_dashboard_asks_for_the_token_and_sends_it_as_a_header(driver: Any) -> None:
    token = "tok-" + hashlib.sha256(b"dashboard").hexdigest()[:16]
    with MockServer(seed=0, admin_token=token) as mock:
        fetch(mock, query(magic_number("5"), key=KEY))
        driver.get(mock.url + "/__admin/ui")
        _wait(driver, "the token form", lambda: _by_id(driver, "token-form").is_displayed())
        form = _by_id(driver, "token-form")
        _by_id(driver, "token").send_keys("wrong")
        form.submit()
        _wait_text(driver, "token-form", "refused")
        _by_id(driver, "token").send_keys(token)
        form.submit()
        rows = _wait(driver, "the row", lambda: _rows(driver))
        assert key_fingerprint(KEY) in rows[0]
        assert not _by_id(driver, "token-form").is_displayed()
        assert token not in driver.current_url
        dom = driver.execute_script("return document.documentElement.outerHTML")
        assert token not in dom and KEY not in dom
        # The wrong token's 401s are the only errors the console saw.
        errors = console_errors(driver)
        assert errors and all("401" in message for message in errors), errors
