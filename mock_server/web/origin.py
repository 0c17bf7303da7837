"""No cross-site changes to the mock: the admin API's guard against other web pages.

A page open in a browser on the same machine can send requests to a loopback mock. The
browser does not let it read the answers (the admin API sends no CORS headers), but a
"simple" request, a POST whose body is read whatever its Content-Type, goes out all the
same: without this check any page could ``POST /__admin/reset`` or add a rule. So:

- a request that changes the mock (POST, PUT, DELETE, PATCH) that names an ``Origin``
  other than the mock's own (scheme, host and port of the request itself) is refused, as
  is one a browser marks ``Sec-Fetch-Site: cross-site`` or ``same-site`` without an
  Origin; the dashboard is the mock's own origin, and tools such as curl send no Origin;
- with no admin token, the request must also name the mock by an IP address or a
  ``localhost`` name (``Host``), which stops DNS rebinding: a page whose own name was
  made to point at 127.0.0.1 would be same-origin with its requests, but its Host is that
  name. With a token the name is free (a rebinding page does not have the token).

Refusals are 403 ``{"error": "forbidden", "message": why}``. :func:`refusal` is the rule,
Flask-free; :func:`cross_site_guard` runs it for the admin blueprint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .wire import CONTENT_TYPE, encode

if TYPE_CHECKING:
    from flask import Response

__all__ = ["CHANGES", "cross_site_guard", "refusal"]

#: The methods that change the mock.
CHANGES = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ELSEWHERE = ("cross-site", "same-site")  # Sec-Fetch-Site of a page on another origin

Header = Callable[[str], "str | None"]


def _host_and_port(authority: str, scheme: str) -> tuple[str, int] | None:
    """``host:port`` (or ``[v6]:port``) split and normalised; None if it does not parse."""
    try:
        parts = urlsplit(f"{scheme}://{authority}")
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None:
        return None
    return parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS.get(scheme, 0)


def _is_local_name(host: str) -> bool:
    """An IP address (no name a rebinding page controls), ``localhost`` or a name under it."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return True


def _same_origin(origin: str, scheme: str, host: str | None) -> bool:
    if host is None or origin == "null":
        return False
    try:
        given = urlsplit(origin)
    except ValueError:
        return False
    if given.scheme.lower() != scheme or given.path not in ("", "/"):
        return False
    return _host_and_port(given.netloc, scheme) == _host_and_port(host, scheme)


def refusal(method: str, header: Header, scheme: str, *, token: bool) -> str | None:
    """Why an admin request must be refused as cross-site, or None to let it through.

    :param header: reads one request header by name (None when absent).
    :param scheme: the request's own scheme (``http`` or ``https``).
    :param token: whether the mock has an admin token.
    """
    host = header("Host")
    if not token and host is not None:
        parsed = _host_and_port(host, scheme)
        if parsed is None or not _is_local_name(parsed[0]):
            return (
                f"the admin API without a token answers requests for this machine's "
                f"addresses or localhost only, not Host {host!r} (a page may have pointed "
                "that name here); use 127.0.0.1 or localhost, or start with --admin-token"
            )
    if method.upper() not in CHANGES:
        return None
    origin = header("Origin")
    if origin is None:
        site = header("Sec-Fetch-Site")
        if site is not None and site.lower() in _ELSEWHERE:
            return f"a {site} page may not change the mock (Sec-Fetch-Site: {site})"
        return None
    if _same_origin(origin.strip().lower(), scheme, host):
        return None
    own = f"{scheme}://{host}" if host else "unknown"
    return (
        f"a page from another origin may not change the mock (Origin {origin!r}, this "
        f"mock is {own}); use the dashboard at this mock's own address, or a tool that "
        "sends no Origin"
    )


def cross_site_guard() -> Response | None:
    """The admin blueprint's check (after its token and loopback guard): 403 or None."""
    from flask import Response, current_app, request

    from .door_flask import EXTENSION

    token = current_app.extensions[EXTENSION].config.admin_token is not None
    why = refusal(request.method, request.headers.get, request.scheme, token=token)
    if why is None:
        return None
    body = encode({"error": "forbidden", "message": why})
    return Response(body, status=403, content_type=CONTENT_TYPE)
