"""The proxy's own answers and headers, and what it keeps in the cache.

Every answer the proxy makes itself is in the API's own shape: a 10001 or a 234802 for a
request it need not forward (no key, a malformed ``mobile``), a 10012 when its budget is
used up (HTTP 200, as the vendor's own quota answer; the reason and the
``X-Juhe-Mock-Error`` header name the proxy's budget), and a 10014 under HTTP 502 or 504
when the upstream gave no usable answer (the header says why). An upstream answer is
passed on as it came (status, content type, bytes), but for an echo of the proxy's key,
which becomes ``<key>``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from contract import JSON_CONTENT_TYPE, JSONP_CALLBACK_PATTERN, JSONP_CONTENT_TYPE, error_body
from contract.bodies import wire_json

__all__ = [
    "ERROR_HEADER",
    "PROXY_HEADER",
    "VIOLATIONS_HEADER",
    "Cached",
    "ProxyReply",
    "api_reply",
    "gateway_reply",
    "refusal_reply",
    "violations_header",
]

#: Which way an answer came: ``paid``, ``cached``, ``refused``, ``local`` or ``failed``.
PROXY_HEADER = "X-Juhe-Proxy"
#: The contract's violations in an upstream answer passed on (``field [rule]; ...``).
VIOLATIONS_HEADER = "X-Juhe-Proxy-Violations"
#: Why the proxy answered itself where the body cannot say (as the mock's own 503s).
ERROR_HEADER = "X-Juhe-Mock-Error"
_CALLBACK = re.compile(JSONP_CALLBACK_PATTERN)
_FINDING = re.compile(r"^(?P<field>.*?): .*\[(?P<rule>[a-z-]+)\]$", re.DOTALL)
_PERIODS = {"day": "每日", "month": "每月"}


@dataclass(frozen=True)
class ProxyReply:
    """What the door sends: a status, headers and the body's bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes = b""


def _ascii(text: str) -> str:
    """A header value: printable ASCII (anything else becomes ``?``), one line."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)[:1000]


def api_reply(
    way: str, status: int, content_type: str, payload: bytes, callback: str | None,
    extra: list[tuple[str, str]] | None = None,
) -> ProxyReply:  # fmt: skip
    """An answer to send: JSONP-wrapped for a valid ``callback`` when it is a JSON answer."""
    if callback and status == 200 and _CALLBACK.fullmatch(callback) is not None:
        payload = callback.encode("ascii") + b"(" + payload + b")"
        content_type = JSONP_CONTENT_TYPE
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload))),
               (PROXY_HEADER, way), *(extra or [])]  # fmt: skip
    return ProxyReply(status, headers, payload)


def local_body(code: int, detail: str | None = None) -> bytes:
    return wire_json(error_body(code, detail=detail))


def refusal_reply(period: str, words: str, callback: str | None) -> ProxyReply:
    """10012 in the API's shape: the proxy's budget for ``period`` is used up."""
    reason = f"请求超过次数限制:juhe-mock代理的{_PERIODS.get(period, '')}预算已用完"
    body = wire_json(error_body(10012, reason))
    return api_reply("refused", 200, JSON_CONTENT_TYPE, body, callback,
                     [(ERROR_HEADER, _ascii("proxy budget: " + words))])  # fmt: skip


def gateway_reply(status: int, why: str) -> ProxyReply:
    """A 502 or 504 with a 10014 body: the upstream gave no usable answer."""
    body = wire_json(error_body(10014))
    return api_reply("failed", status, JSON_CONTENT_TYPE, body, None,
                     [(ERROR_HEADER, _ascii("upstream: " + why))])  # fmt: skip


def violations_header(problems: list[str]) -> str:
    """``field [rule]; ...`` of the verdict's problems (no values: they could be anything)."""
    shown = []
    for problem in problems:
        found = _FINDING.match(problem)
        shown.append(f"{found['field']} [{found['rule']}]" if found else "$ [violation]")
    return _ascii("; ".join(dict.fromkeys(shown)))


@dataclass(frozen=True)
class Cached:
    """An upstream answer kept by hash: its content type, bytes, code and violations."""

    content_type: str
    payload: bytes
    error_code: int
    tenure: str | None = None
    violations: str = ""

    def dump(self) -> str:
        return json.dumps(
            {"ct": self.content_type, "b": self.payload.decode("utf-8"), "e": self.error_code,
             "t": self.tenure, "v": self.violations}, ensure_ascii=False,
        )  # fmt: skip

    @classmethod
    def load(cls, text: str) -> Cached | None:
        """None for a value this version cannot read (then the lookup is paid again)."""
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(str(data["ct"]), str(data["b"]).encode("utf-8"), int(data["e"]),
                       data.get("t"), str(data.get("v", "")))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None
