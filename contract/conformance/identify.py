"""Who answers at a URL: our mock, or something to treat as live.

A target is live until it proves it is our mock: the in-process mock, or a server whose
``GET /__admin/health`` answers HTTP 200 with a JSON object saying ``"server":
"juhe-mock"`` and naming no ``upstream`` (a juhe-mock guard proxy forwards to the vendor,
so it is live). Anything else (the vendor under any of its names, an IP, a proxy, a
stand-in, a server that does not answer) gets the live profile: a budget of 0 unless one
is given, tolerant judgement, inputs that look up nobody. A Juhe host is never asked.
The health request carries no key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..transport import HEALTH_PATH, MOCK_SERVER, is_vendor_host

__all__ = ["Identity", "identify"]


@dataclass(frozen=True)
class Identity:
    """What a target said about itself.

    :param mock: a juhe-mock said so; False means: treat it as live.
    :param accepts_any_key: the mock runs without a key allow-list (its default), so a
        wrong key is answered like the right one there.
    :param why: how it was decided, in a few words, for the report.
    """

    mock: bool
    why: str
    version: str | None = None
    accepts_any_key: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "mock": self.mock,
            "why": self.why,
            "version": self.version,
            "accepts_any_key": self.accepts_any_key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Identity:
        version = data.get("version")
        return cls(
            mock=data.get("mock") is True,
            why=str(data.get("why", "")),
            version=str(version) if version is not None else None,
            accepts_any_key=data.get("accepts_any_key") is True,
        )


#: The in-process mock: nothing to ask, it is ours.
IN_PROCESS = Identity(True, "the in-process mock")
#: What ``--plan`` assumes of a URL: it asks nothing, not even who is there.
UNASKED = Identity(False, "not asked (a plan sends nothing): planned as live")


def identify(session: requests.Session, base_url: str, *, timeout: float = 5.0) -> Identity:
    """Ask ``base_url`` whether it is juhe-mock; never raises."""
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        return Identity(False, "not a URL: live")
    if is_vendor_host(host):
        return Identity(False, "a Juhe host: live")
    try:
        response = session.get(
            base_url.rstrip("/") + HEALTH_PATH, timeout=timeout, allow_redirects=False
        )
        body = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError) as exc:
        return Identity(False, f"no health answer ({type(exc).__name__}): live")
    if not isinstance(body, dict) or body.get("server") != MOCK_SERVER:
        return Identity(False, f"its {HEALTH_PATH} does not say {MOCK_SERVER}: live")
    if body.get("upstream"):  # a guard proxy: every lookup may reach the vendor and bill
        return Identity(False, f"{MOCK_SERVER} as a guard proxy for an upstream: live")
    version = body.get("version")
    return Identity(
        True,
        f"{MOCK_SERVER} by its {HEALTH_PATH}",
        version=str(version) if version is not None else None,
        accepts_any_key=body.get("accepts_any_key") is True,
    )
