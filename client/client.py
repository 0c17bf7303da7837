"""``TenureClient``: hashes locally, asks the API, returns a result or raises a typed error.

The plaintext number never leaves the process: it is normalised and hashed here, and only
the sha256 is sent. By default the key travels in a POST form body, out of URLs, proxy logs
and server access logs. ``method="GET"`` sends both as query parameters instead (the API
takes either), for a gateway that lets only GET through: the key is then in the URL, where
proxies and the server's access log see it. Either way it never appears in a repr, an
exception message or a log record of this process: logs name it by
:func:`contract.key_fingerprint`, the first 8 hex digits of its sha256 (the mock's journal
shows the same), and with GET urllib3's request-line records are rewritten
(:mod:`client.redact`). The default base URL is ``https://``; a plain ``http://`` URL to a
host other than loopback works but logs a warning, once per URL: the key would cross the
network in clear text. An answer echoing the key is scrubbed before it is kept
(``TenureResult.body``, ``JuheError.body``) or shown.

A billed answer is never thrown away over harmless drift: a success whose ``code`` is a
valid tenure code returns its :class:`TenureResult`, and whatever the tolerant contract
check found is on ``result.warnings`` (logged once per kind of finding per client).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

import requests
import urllib3

from contract import BASE_URL, PATH, is_mobile_sha256, key_fingerprint, mobile_sha256, scrub_key
from contract.transport import cleartext_warning

from .errors import ConnectError, JuheError, RequestTimeout, TransportError
from .models import TenureResult
from .redact import hide_keys_in_urllib3_logs
from .retry import RetryPolicy, backoff_seconds, should_retry, within_time
from .wire import parse_response

__all__ = ["TenureClient", "hash_mobile", "key_fingerprint"]

logger = logging.getLogger(__name__)

Timeout = float | tuple[float, float]
Method = Literal["POST", "GET"]
_METHODS = ("POST", "GET")
_WARNED_URLS: set[str] = set()
_WARNED_LOCK = threading.Lock()
#: urllib3's faults that happen before a request leaves: safe to retry, nothing was sent.
_BEFORE_SENDING = (
    urllib3.exceptions.NewConnectionError,  # refused, no route, no such host
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.SSLError,  # the TLS handshake comes before the request
    requests.ConnectTimeout,
    requests.exceptions.SSLError,
)


def _never_sent(exc: BaseException) -> bool:
    """Whether a ``requests`` fault happened before the request could leave the machine."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, _BEFORE_SENDING):
            return True
        stack += [getattr(item, "reason", None), item.__cause__, item.__context__, *item.args]
    return False


def _warn_cleartext(url: str) -> None:
    warning = cleartext_warning(url)
    if warning is None:
        return
    with _WARNED_LOCK:
        if url in _WARNED_URLS:
            return
        _WARNED_URLS.add(url)
    logger.warning("%s", warning)


def hash_mobile(phone: str) -> str:
    """The lowercase hex sha256 of a mainland mobile number, in any common spelling.

    ``"+86 130-0000-0003"``, ``"8613000000003"`` and ``" 13000000003 "`` give the same hash.

    :raises ValueError: for anything that is not an 11-digit mainland mobile number; the
        message never repeats the input.
    """
    return mobile_sha256(phone)


class TenureClient:
    """A client for ``/mobile_online_sha256_cucc/query``; one ``requests.Session`` for all calls.

    :param key: the Juhe key. Kept out of reprs, messages and logs.
    :param base_url: scheme and host, e.g. a mock's ``http://127.0.0.1:8080``.
    :param method: ``"POST"`` (the default: key and hash in a form body) or ``"GET"``
        (both in the query string, so the key reaches proxies and access logs; use it only
        where a gateway refuses POST).
    :param timeout: seconds for every request, or ``(connect, read)``.
    :param max_retries: retries after the first attempt, for 234801 and faults before the
        request was sent only; 0 turns retrying off.
    :param retry_unsafe: also retry a read timeout, a gateway's 5xx and a connection cut
        after the request was sent: each may have been billed, so a retry may bill twice.
    :param max_retry_time: no retry starts after this many seconds from the first attempt.
    :param backoff: the wait before the first retry (doubled each time, jittered).
    :param session: a session to use (for adapters, proxies, tests); it is not closed by
        :meth:`close`. By default the client makes one and closes it.
    :param sleep: how to wait between retries (tests pass a recorder).
    :param clock: a monotonic clock for the total-time cap.
    """

    def __init__(
        self,
        key: str,
        *,
        base_url: str = BASE_URL,
        method: Method = "POST",
        timeout: Timeout = (3.05, 10.0),
        max_retries: int = 2,
        retry_unsafe: bool = False,
        max_retry_time: float = 30.0,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty string")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}")
        if method == "GET":
            hide_keys_in_urllib3_logs()
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + PATH
        _warn_cleartext(self.base_url)
        self.method: Method = method
        self.timeout = timeout
        self.retry_policy = RetryPolicy(
            max_retries=max_retries, initial_delay=backoff, max_total_time=max_retry_time,
            retry_unsafe=retry_unsafe,
        )  # fmt: skip
        self._warned: set[tuple[str, str]] = set()
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._clock = clock

    @property
    def key_fingerprint(self) -> str:
        """The key's fingerprint, as logs and the mock's journal show it: 8 hex digits."""
        return key_fingerprint(self._key)

    def __repr__(self) -> str:
        return (
            f"TenureClient(base_url={self.base_url!r}, method={self.method!r}, "
            f"key=<{self.key_fingerprint}>)"
        )

    def __enter__(self) -> TenureClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session, if the client made it."""
        if self._owns_session:
            self._session.close()

    def query(self, phone: str) -> TenureResult:
        """How long ``phone`` has been on the network; only its sha256 is sent.

        :raises ValueError: before any request, if ``phone`` is not an 11-digit mainland
            mobile number in some common spelling.
        :raises JuheError: a family subclass for an error answer, a :class:`TransportError`
            when no usable answer came back.
        """
        return self._ask(hash_mobile(phone))

    def query_hash(self, mobile_sha256: str) -> TenureResult:
        """The same for a caller that holds only the sha256 (64 hex digits, either case).

        :raises ValueError: before any request, if it is not 64 hex digits.
        """
        if not is_mobile_sha256(mobile_sha256):
            raise ValueError("not a sha256 hex digest (64 hex digits)")
        return self._ask(mobile_sha256.lower())

    def _ask(self, digest: str) -> TenureResult:
        policy = self.retry_policy
        started = self._clock()
        retries = 0
        while True:
            try:
                return self._attempt(digest)
            except JuheError as exc:
                if not should_retry(exc, retries, policy):
                    raise
                wait = backoff_seconds(retries, policy)
                if not within_time(self._clock() - started, wait, policy):
                    raise
                retries += 1
                logger.warning(
                    "retry %d/%d in %.2fs after %s (key %s)",
                    retries,
                    policy.max_retries,
                    wait,
                    type(exc).__name__,
                    self.key_fingerprint,
                )
                self._sleep(wait)

    def _attempt(self, digest: str) -> TenureResult:
        logger.debug(
            "%s %s mobile=%s... key %s", self.method, self.url, digest[:8], self.key_fingerprint
        )
        # POST by default: a URL holding the key would reach proxy and access logs, and
        # urllib3's own debug log records every request line.
        fields = {"key": self._key, "mobile": digest}
        try:
            if self.method == "GET":
                response = self._session.get(self.url, params=fields, timeout=self.timeout)
            else:
                response = self._session.post(self.url, data=fields, timeout=self.timeout)
        except requests.Timeout as exc:
            sent = not _never_sent(exc)  # a connect timeout sent nothing, a read timeout did
            what = "no answer within the timeout" if sent else "could not connect in time"
            raise self._transport(RequestTimeout, what, exc, sent=sent) from None
        except requests.ConnectionError as exc:
            sent = not _never_sent(exc)  # cut mid-request: it may have reached the API
            what = "the connection was cut" if sent else "could not connect"
            raise self._transport(ConnectError, what, exc, sent=sent) from None
        except requests.RequestException as exc:
            # Redirect loops, broken chunked bodies...: something may have answered, so
            # the fault counts as answered and is never retried.
            raise self._transport(TransportError, "the request failed", exc, True) from None
        with response:
            content = response.content
            status = response.status_code
        logger.debug("HTTP %d, %d bytes", status, len(content))
        result = parse_response(status, content, digest, scrub=self._scrub, key=self._key)
        self._log_warnings(result)
        return result

    def _log_warnings(self, result: TenureResult) -> None:
        new = [w for w in result.warnings if (w.field, w.rule) not in self._warned]
        if not new:
            return
        self._warned.update((w.field, w.rule) for w in new)
        logger.warning(
            "a billed answer drifts from the contract (kept; see result.warnings): %s (key %s)",
            "; ".join(str(w) for w in new),
            self.key_fingerprint,
        )

    def _transport(
        self,
        cls: type[TransportError],
        what: str,
        exc: requests.RequestException,
        answered: bool = False,
        *,
        sent: bool | None = None,
    ) -> TransportError:
        # Scrubbed in case a proxy or a redirect put the key somewhere a message repeats;
        # the requests exception is not chained, so nothing unscrubbed reaches a traceback.
        detail = self._scrub(f"{type(exc).__name__}: {exc}")
        return cls(f"{what}: {detail}", answered=answered, sent=sent)

    def _scrub(self, text: str) -> str:
        return scrub_key(text, self._key)
