"""The dashboard of a guard proxy in a real browser: the journal's upstream column, and
the paid, cached and refused counts beside the budget spent."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from ...helpers.browser import chromium, console_errors
from ...helpers.standin import STAND_IN_KEY, StandIn
from .conftest import APP_KEY, ProxyFactory, ask

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]
WAIT_S = 10


def _wait(driver: Any, what: str, check: Callable[[], Any]) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(
        lambda _: check(), message=f"the dashboard did not show {what} within {WAIT_S} s"
    )


def test_the_dashboard_shows_the_proxys_way_and_budget(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    hashes = [hashlib.sha256(f"dash{i}".encode()).hexdigest() for i in range(3)]
    with chromium() as driver, make_proxy(budget_per_day=2) as proxy:
        for digest in [*hashes, hashes[0]]:
            ask(proxy, digest)  # paid, paid, refused, cached
        driver.get(proxy.url + "/__admin/ui")
        script = "return [...document.querySelectorAll('#journal-rows tr')].map(r => r.innerText)"
        rows = _wait(driver, "four rows", lambda: len(driver.execute_script(script)) == 4
                     and driver.execute_script(script))  # fmt: skip
        head = driver.execute_script(
            "return [...document.querySelectorAll('#journal-head th')].map(t => t.innerText)"
        )
        totals = _wait(driver, "the proxy's counts",
                       lambda: driver.find_element("id", "upstream").text)  # fmt: skip
        dom = driver.execute_script("return document.documentElement.outerHTML")
        errors = console_errors(driver)
    assert "upstream" in head
    assert ["cached" in rows[0], "refused" in rows[1], "paid" in rows[2]] == [True] * 3
    words = totals.split()
    assert words[words.index("paid") - 1] == "2" and words[words.index("refused") - 1] == "1"
    assert "2 / 2" in totals and "spent today" in totals
    assert STAND_IN_KEY not in dom and APP_KEY not in dom and errors == []
