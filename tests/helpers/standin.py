"""A stand-in that plays the live API on loopback: it bills, echoes the key, answers oddly.

Not juhe-mock, and it does not say it is: its ``/__admin/health`` is a 404, as a vendor's
or a proxy's would be, so every tool must treat it as live. By default it plays the
vendor: no key or an empty one answers 10001, another key 10001 with that key echoed in
``result`` (as some Juhe hosts do), a malformed ``mobile`` 234802, and every well-formed
keyed call is a success it bills. Switches, changeable between requests:

* ``refuse_key``: the real key answers 10001 too, echoing it in ``result`` and ``reason``;
* ``lenient``: a keyed call with a malformed ``mobile`` is billed as a success;
* ``body`` / ``status`` / ``content_type``: answer every call with exactly this (``{key}``
  in the body's strings becomes the key the call carried);
* ``answers``: bodies by ``mobile`` (for a canary), before anything else;
* ``delay``: seconds to wait before answering (a slow vendor, a timeout).

``calls`` records every request to the API path (method, the key as sent, mobile, whether
it was billed); ``billed`` counts the billed ones; ``paths`` every request's path, whatever
it is (the health request too), to prove that nothing at all was sent. Served by werkzeug's
threaded server in a thread, without an access log; use it as a context manager, or the
``stand_in`` fixture (here, given to every test by tests/conftest.py).

:data:`ODD_KEY` is a key every layer could spell differently (a slash, a plus, an ampersand,
a space, an accented letter); :func:`spellings` gives those spellings, none of which may
appear in anything the tools make.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from contract import JSON_CONTENT_TYPE, PATH, is_mobile_sha256

from .processes import Stopping

#: The stand-in's one valid key; the tests treat it as the secret that must never leak.
STAND_IN_KEY = "0123456789abcdef0123456789abcdef"
#: A key with characters that URL, form and JSON encodings each spell their own way.
ODD_KEY = "Live/Key+42&é x"


def spellings(key: str) -> list[str]:
    """``key`` as itself, percent-encoded, form-encoded and JSON-escaped (both ways)."""
    return [key, quote(key, safe=""), quote_plus(key), json.dumps(key)[1:-1],
            json.dumps(key, ensure_ascii=False).replace("/", "\\/")[1:-1]]  # fmt: skip


@dataclass(frozen=True)
class Call:
    method: str
    key: str | None
    mobile: str | None
    billed: bool


def _with_key(value: Any, key: str) -> Any:
    if isinstance(value, str):
        return value.replace("{key}", key)
    if isinstance(value, dict):
        return {k: _with_key(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_key(v, key) for v in value]
    return value


class _Unlogged(WSGIRequestHandler):
    """werkzeug's handler without its access log: the line holds the query string, and a
    GET carries the stand-in's key there (the session's leak check would rightly see it)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class StandIn(Stopping):
    """The live API as a loopback server; see the module's docstring."""

    def __init__(self, key: str = STAND_IN_KEY) -> None:
        self.key = key
        self.refuse_key = False
        self.lenient = False
        self.body: Any = None
        self.status = 200
        self.content_type = JSON_CONTENT_TYPE
        self.answers: dict[str, Any] = {}
        self.delay = 0.0
        self.calls: list[Call] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._orders = 0
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_Unlogged
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stand-in", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def billed(self) -> int:
        with self._lock:
            return sum(call.billed for call in self.calls)

    def mobiles(self) -> list[str]:
        with self._lock:
            return [c.mobile for c in self.calls if c.mobile is not None]

    # --- the API --------------------------------------------------------------------------

    def _success(self) -> dict[str, Any]:
        with self._lock:
            self._orders += 1
            n = self._orders
        return {"reason": "成功", "result": {"code": "3", "orderid": f"J20261128101700{n:04d}"},
                "error_code": 0}  # fmt: skip

    def decide(self, key: str | None, mobile: str | None) -> tuple[Any, bool]:
        """The body to answer and whether the call is billed."""
        if mobile is not None and mobile in self.answers:
            body = self.answers[mobile]
            return body, isinstance(body, dict) and body.get("error_code") == 0
        if self.body is not None:
            billed = isinstance(self.body, dict) and self.body.get("error_code") == 0
            return _with_key(self.body, key or ""), billed and bool(key)
        if not key:
            return {"resultcode": "101", "reason": "错误的请求KEY", "result": None,
                    "error_code": 10001}, False  # fmt: skip
        if key != self.key or self.refuse_key:
            return {"error_code": 10001, "reason": f"无效的key！{key}", "result": key}, False
        if mobile is None or not is_mobile_sha256(mobile):
            if self.lenient:
                return self._success(), True
            return {"reason": "参数错误:mobile格式不正确", "result": None,
                    "error_code": 234802}, False  # fmt: skip
        return self._success(), True

    def app(
        self, environ: Mapping[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        with self._lock:
            self.paths.append(str(environ.get("PATH_INFO", "")))
        if environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<html><body>404 Not Found</body></html>"]
        if method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size).decode("utf-8", "replace")
        else:
            raw = environ.get("QUERY_STRING", "")
        fields = parse_qs(raw, keep_blank_values=True)
        key = fields["key"][0] if "key" in fields else None
        mobile = fields["mobile"][0] if "mobile" in fields else None
        body, billed = self.decide(key, mobile)
        with self._lock:
            self.calls.append(Call(method, key, mobile, billed))
        if self.delay:
            time.sleep(self.delay)
        content = body.encode() if isinstance(body, str) else json.dumps(
            body, ensure_ascii=False, separators=(",", ":")
        ).encode()  # fmt: skip
        status = "200 OK" if self.status == 200 else f"{self.status} Error"
        start_response(status, [("Content-Type", self.content_type)])
        return [content]


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A server on loopback that plays live, stopped after the test."""
    with StandIn() as server:
        yield server
