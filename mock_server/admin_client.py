"""A ``juhe-mock`` in another process, driven over its admin API: :class:`AdminClient`.

For a mock that runs as a Docker service, a CI ``services:`` container, ``make serve`` or
``juhe-mock`` in the background, what the pytest fixture's handle gives in process::

    from mock_server import AdminClient

    mock = AdminClient("http://127.0.0.1:8000")       # token=... with --admin-token
    mock.wait()                                        # until /__admin/health answers
    mock.scenario("quota-exhausted")                   # a shipped name, a file or a dict
    ...                                                # your client calls mock.endpoint
    mock.assert_called(times=1, key="my-key", method="POST", code=10012)
    mock.reset()

Only HTTP and the scenario language: nothing here imports the mock's web layer, so the
client works against any reachable ``juhe-mock`` (a file is read and checked here, then
sent as JSON). A failed admin call raises :class:`AdminError` with the mock's own message.
The token never appears in a ``repr`` or a message.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from contract import PATH

from .verify import Verifying

__all__ = ["AdminClient", "AdminError"]

#: The mock's admin API, under its base URL.
ADMIN = "/__admin"


class AdminError(RuntimeError):
    """An admin call that failed: the HTTP status (None: no answer) and the mock's message."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AdminClient(Verifying):
    """The admin API of the ``juhe-mock`` at ``url`` (its base URL, as it prints it).

    :param token: the mock's ``--admin-token``, if it was started with one.
    :param timeout: seconds per admin request.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout
        self._own_session = session is None
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        token = ", token=<set>" if self._headers else ""
        return f"AdminClient({self._url!r}{token})"

    @property
    def url(self) -> str:
        """The mock's base URL (append ``contract.PATH``)."""
        return self._url

    @property
    def endpoint(self) -> str:
        return self._url + PATH

    # --- the admin API -------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        where = f"{method} {self._url}{ADMIN}{path}"
        try:
            response = self._session.request(
                method, self._url + ADMIN + path, json=body, headers=self._headers,
                timeout=self._timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise AdminError(f"{where}: no answer from juhe-mock ({type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.ok and answer is not None:
            return answer
        message = answer.get("message") if isinstance(answer, dict) else None
        if message is None:
            message = "not a juhe-mock admin API" if response.status_code == 404 else "no JSON"
        raise AdminError(f"{where}: HTTP {response.status_code}: {message}", response.status_code)

    def health(self) -> dict[str, Any]:
        """``GET /__admin/health``: ``{"status": "ok", "rules": N, "uptime_s": ...}``."""
        return dict(self._call("GET", "/health"))

    def wait(self, timeout: float = 30.0, interval: float = 0.1) -> dict[str, Any]:
        """Poll :meth:`health` until the mock answers (a service may still be starting).

        :raises AdminError: the last failure, if it has not answered within ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except AdminError as error:
                if error.status is not None or time.monotonic() >= deadline:
                    raise
            time.sleep(interval)

    def scenario(self, document: Mapping[str, Any] | str | Path) -> None:
        """Replace the mock's scenario (everything above its built-in defaults): a document,
        a YAML/JSON file (read and checked here, then sent as JSON) or the name of a
        shipped scenario (``"maintenance"``; ``juhe-mock --list-scenarios``).

        :raises ConfigError: for a file that cannot be read or is invalid, naming the field.
        :raises AdminError: if the mock refuses it (HTTP 400 names the field).
        """
        self._call("PUT", "/scenarios", _document(document))

    def add_rule(self, rule: Mapping[str, Any]) -> str:
        """Append one rule to the scenario in force; returns its name."""
        return str(self._call("POST", "/scenarios/rules", dict(rule))["added"])

    @property
    def document(self) -> dict[str, Any]:
        """The scenario in force (``GET /__admin/scenarios``)."""
        return dict(self._call("GET", "/scenarios"))

    def reset(self) -> None:
        """Back to the scenarios the mock was started with; counters, journal and ledger
        cleared."""
        self._call("POST", "/reset")

    def clear_requests(self) -> None:
        """Empty the journal only."""
        self._call("DELETE", "/requests")

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal, oldest first (key fingerprints and hashes, never keys or numbers)."""
        return list(self._call("GET", "/requests")["requests"])

    @property
    def usage(self) -> dict[str, Any]:
        """The billing ledger: ``{"billable": N, "by_key": {...}, "by_code": {...}}``."""
        return dict(self._call("GET", "/usage"))

    # --- a context manager ---------------------------------------------------------------

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _document(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """The JSON to send for ``source``: a document as it is, a file or name read here."""
    if isinstance(source, Mapping):
        return dict(source)
    from .scenario.document import load_document  # the scenario language, not the web layer

    return load_document(source)
