"""A page on another loopback port, in headless Chromium, calling the mock.

With ``cors`` the page reads the API's answers (a simple GET and one that needs a
preflight); without it the browser blocks the reading. Either way the same page's
cross-site writes to the admin API (a reset, a rule sent as ``text/plain`` in ``no-cors``
mode, which a browser sends without asking) change nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from contract import PATH, magic_number, mobile_sha256
from mock_server import MockServer

from ...helpers.answers import fetch, query
from ...helpers.browser import chromium

pytestmark = pytest.mark.timeout(60)

WAIT_S = 10

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>page</title></head>
<body><pre id="out"></pre><script>
const MOCK = %(mock)s, API = MOCK + %(path)s + "?key=page&mobile=" + %(hash)s;
async function attempt(name, call) {
  try { return [name, await call()]; } catch (e) { return [name, "blocked"]; }
}
async function run() {
  const results = Object.fromEntries(await Promise.all([
    attempt("simple", async () => (await (await fetch(API)).json()).result.code),
    attempt("preflighted", async () =>
      (await (await fetch(API, {headers: {"X-Trace": "1"}})).json()).result.code),
  ]));
  for (const [path, body] of [["/__admin/reset", ""],
                              ["/__admin/scenarios/rules", '{"then": {"error": 10020}}']]) {
    await fetch(MOCK + path, {method: "POST", mode: "no-cors", body: body,
                              headers: {"Content-Type": "text/plain"}}).catch(() => null);
  }
  document.getElementById("out").textContent = JSON.stringify(results);
}
run();
</script></body></html>
"""


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page_server() -> Iterator[Callable[[MockServer], str]]:
    """Serves the page (about a given mock) from another port; yields the page's URL maker."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def page_for(mock: MockServer) -> str:
        text = PAGE % {
            "mock": json.dumps(mock.url), "path": json.dumps(PATH),
            "hash": json.dumps(mobile_sha256(magic_number("4"))),
        }  # fmt: skip
        pages["/page.html"] = text.encode("utf-8")
        return f"http://127.0.0.1:{server.server_address[1]}/page.html"

    try:
        yield page_for
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _results(driver: Any, url: str) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    text = WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(
        lambda d: d.find_element(By.ID, "out").text, message="the page did not finish"
    )
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.mark.browser
@pytest.mark.parametrize("cors", [True, False], ids=["cors", "no-cors"])
def test_a_page_elsewhere_reads_the_api_only_with_cors_and_never_changes_the_mock(
    driver: Any, page_server: Callable[[MockServer], str], cors: bool
) -> None:
    with MockServer(seed=2, cors=cors) as mock:
        fetch(mock, query(magic_number("3")))
        results = _results(driver, page_server(mock))
        if cors:
            assert results == {"simple": "4", "preflighted": "4"}
        else:
            assert results == {"simple": "blocked", "preflighted": "blocked"}
        journal = mock.requests
        # The page's reset was refused: the entry from before is still there, with the
        # page's own calls (the preflighted one only reaches the mock with CORS).
        assert journal[0]["key"] is not None and journal[0]["outcome"]["code"] == "3"
        assert len(journal) == (3 if cors else 2)
        # The page's rule was refused: the answers are unchanged.
        assert fetch(mock, query(magic_number("2")))["result"]["code"] == "2"
