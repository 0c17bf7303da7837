"""How the key travels: HTTPS by default, plain ``http://`` only to loopback without a word.

The key is a secret, and the vendor's hosts serve TLS (docs/wire.md), so every default in
the toolkit says ``https://``. Plain ``http://`` stays possible where someone names it: a
mock on loopback (nothing leaves the machine), or a host named explicitly, with a
warning, because then the key crosses a network in clear text. :func:`cleartext_warning`
is that warning's one wording, for the client (a log line), the pytest plugin and
``juhe-contract`` (a line on stderr).

Who is at the other end: our mock says so in its health answer (``GET`` :data:`HEALTH_PATH`
answers ``{"server": MOCK_SERVER, ...}``); anything that does not is live
(``contract.conformance.identify``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["HEALTH_PATH", "MOCK_SERVER", "cleartext_warning", "is_loopback_host", "is_vendor_host"]

_VENDOR_DOMAIN = "juhe.cn"
#: The name juhe-mock gives in its health answer's ``server`` field.
MOCK_SERVER = "juhe-mock"
#: Where juhe-mock answers who it is (and that it is up).
HEALTH_PATH = "/__admin/health"


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_vendor_host(host: str | None) -> bool:
    """Whether ``host`` is one of Juhe's (``juhe.cn`` or under it, a trailing dot too)."""
    name = (host or "").rstrip(".").lower()
    return name == _VENDOR_DOMAIN or name.endswith("." + _VENDOR_DOMAIN)


def cleartext_warning(url: str) -> str | None:
    """The warning for sending the key to ``url``, or None when it travels safely.

    None for ``https://`` and for plain ``http://`` to loopback; a sentence naming the
    host otherwise. Never raises (an unparsable URL is somebody else's error).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or is_loopback_host(host):
        return None
    return (
        f"the API key is sent to {host} over plain http://, in clear text: anyone on the "
        f"way can read it; use https:// (Juhe's hosts serve it)"
    )
