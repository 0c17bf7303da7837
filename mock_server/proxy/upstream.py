"""The upstream: one POST to the API path, on the event loop, with the proxy's own key.

httpx's ``AsyncClient`` asks without holding a thread (a slow vendor costs a pending read,
as a slow client does in ``web/door_async``), keeps connections alive, and tells the faults
apart by class. Each class maps to two facts in :data:`FAULTS`: whether the request may
have reached the upstream (then it may have been billed: its budget unit stays spent, and
it is never retried) and the gateway status the app gets (504 for a timeout, else 502).
Only a request that was certainly not sent is retried, once, by the transport
(``retries=1``: a connection that could not be made). The key goes in the form body, never
in a URL, and no message here holds it: a fault is named by its class only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from contract import PATH, key_fingerprint
from contract.version import version

__all__ = ["FAULTS", "Fetched", "Secret", "Upstream", "fault_of"]

#: httpx's faults: (whether the request may have been sent, the gateway status to answer).
FAULTS: dict[str, tuple[bool, int]] = {
    "ConnectTimeout": (False, 504),
    "PoolTimeout": (False, 504),
    "ReadTimeout": (True, 504),
    "WriteTimeout": (True, 504),
    "TimeoutException": (True, 504),
    "ConnectError": (False, 502),
    "ProxyError": (False, 502),
    "UnsupportedProtocol": (False, 502),
    "LocalProtocolError": (False, 502),
    "RemoteProtocolError": (True, 502),
    "ReadError": (True, 502),
    "WriteError": (True, 502),
    "CloseError": (True, 502),
    "NetworkError": (True, 502),
    "ProtocolError": (True, 502),
    "TransportError": (True, 502),
    "DecodingError": (True, 502),
    "TooManyRedirects": (True, 502),
    "RequestError": (True, 502),
    "HTTPStatusError": (True, 502),  # raise_for_status only: never called here
    "HTTPError": (True, 502),
}


def fault_of(error: BaseException) -> tuple[str, bool, int]:
    """``(name, sent, status)`` for an httpx fault: its nearest class in :data:`FAULTS` (an
    unknown one counts as sent: a budget that guesses in its own favour is no budget)."""
    for cls in type(error).__mro__:
        if cls.__name__ in FAULTS:
            return (type(error).__name__, *FAULTS[cls.__name__])
    return type(error).__name__, True, 502


class Secret:
    """The upstream's key: its repr and str show the fingerprint, never the key."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<key {key_fingerprint(self._value)}>"

    __str__ = __repr__


@dataclass(frozen=True)
class Fetched:
    """What the upstream answered: ``status`` None when nothing came back."""

    status: int | None
    content_type: str = ""
    content: bytes = b""
    sent: bool = True  # whether the request may have reached the upstream
    problem: str | None = None  # the fault's class
    gateway: int = 502  # the status to answer with when there is no usable answer


class Upstream:
    """The upstream at ``base_url`` (scheme and host), asked with ``key``.

    :param timeout: seconds for each phase (connect, write, read, a pooled connection).
    """

    def __init__(self, base_url: str, key: Secret, timeout: float) -> None:
        try:
            import httpx  # noqa: F401  (present, or the proxy cannot start)
        except ImportError as error:  # the proxy extra is not installed
            raise RuntimeError(
                "the guard proxy needs httpx: pip install 'juhe-tenure-toolkit[proxy]'"
            ) from error
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + PATH
        parts = urlsplit(self.base_url)
        #: Scheme and host, for the health answer and the logs.
        self.label = f"{parts.scheme}://{parts.netloc}"
        self._key = key
        self.timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._agent = f"juhe-mock-proxy/{version()}"

    def __repr__(self) -> str:
        return f"Upstream({self.label!r}, key={self._key!r})"

    def _client(self) -> Any:
        import httpx

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for old in [held for held in self._clients if held.is_closed()]:
                del self._clients[old]  # a loop that ended (a MockServer restarted)
            # Room to keep a connection per concurrent lookup alive (httpx keeps 20 by
            # default: under more, every lookup past them opened a connection anew).
            limits = httpx.Limits(max_connections=512, max_keepalive_connections=128)
            client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(retries=1, limits=limits),  # not sent: once more
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                headers={"User-Agent": self._agent},
            )
            self._clients[loop] = client
        return client

    async def ask(self, mobile: str) -> Fetched:
        """POST ``key`` and ``mobile`` as a form; never raises for the upstream's faults."""
        import httpx

        try:
            response = await self._client().post(
                self.url, data={"key": self._key.reveal(), "mobile": mobile}
            )
        except httpx.HTTPError as error:
            name, sent, status = fault_of(error)
            return Fetched(None, sent=sent, problem=name, gateway=status)
        return Fetched(
            response.status_code, response.headers.get("content-type", ""), response.content
        )

    async def aclose(self) -> None:
        """Close this loop's client (its connections), before the loop ends."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
