"""Serving the app with waitress: :class:`MockServer` (in a thread) and :func:`make_server`.

``MockServer`` is what test suites use::

    with MockServer(scenarios={"rules": [...]}, seed=1) as mock:
        requests.get(mock.url + "/mobile_online_sha256_cucc/query", params=...)
        mock.requests, mock.usage, mock.configure({...}), mock.reset()
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import WSGITask

from ..config import MockConfig, ScenarioSource
from ..runtime import MockRuntime
from ..state.store import Store
from ..web.app import create_app, runtime_of
from ..web.faults import DropConnection

__all__ = ["MockServer", "make_server", "stop_server"]

#: waitress refuses bodies over this before the app sees them (the app's own limit is lower).
MAX_REQUEST_BODY = 4 * 1024 * 1024


class _Task(WSGITask):  # type: ignore[misc]
    """A waitress task that closes the connection silently on :class:`DropConnection`."""

    def execute(self) -> None:
        try:
            super().execute()
        except DropConnection:
            # Nothing has been written: claim the header is out so that waitress neither
            # sends one nor a 500 page, and close the connection.
            self.wrote_header = True
            self.close_on_finish = True


class _Channel(HTTPChannel):  # type: ignore[misc]
    task_class = _Task


def make_server(app: Flask, host: str, port: int, threads: int) -> BaseWSGIServer:
    """A waitress server for ``app`` bound to ``host:port`` (0 = a free port), not yet run."""
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="juhe-mock",
        max_request_body_size=MAX_REQUEST_BODY,
        expose_tracebacks=False,
        clear_untrusted_proxy_headers=True,
    )
    servers = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for one in servers:
        if isinstance(one, BaseWSGIServer):
            one.channel_class = _Channel
    if isinstance(server, MultiSocketServer):
        return next(s for s in server.map.values() if isinstance(s, BaseWSGIServer))
    return server


def stop_server(server: BaseWSGIServer, thread: threading.Thread | None = None) -> None:
    """Stop a server that ``run()`` serves in another thread, and wait for it."""

    def close_everything() -> None:  # runs in the server's own loop thread
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    # Workers first, as waitress's own close() does: a worker that finishes a task wakes
    # the loop through the trigger pipe, which close_everything closes; a worker still
    # running after that failed with "Bad file descriptor" in its thread.
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    try:
        server.trigger.pull_trigger(close_everything)
    except OSError:
        # The trigger has already closed itself, so nothing can wake the loop: close what
        # is left from here; the loop ends once its map is empty.
        close_everything()
    if thread is not None:
        thread.join(timeout=10)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class MockServer:
    """The mock served by waitress on a loopback port in a background thread.

    :param scenarios: a scenario document (dict), a path to a YAML/JSON file, or a list of
        them, merged in order on top of the built-in defaults.
    :param seed: overrides the documents' seed.
    :param port: 0 (default) picks a free port.
    :param store: a shared :class:`~mock_server.state.store.Store` (default: in memory).
    :param state: a ``redis://`` URL to open a store from instead (see ``MockConfig``).
    """

    def __init__(
        self,
        scenarios: ScenarioSource | Sequence[ScenarioSource] | None = None,
        *,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        admin_token: str | None = None,
        store: Store | None = None,
        state: str | None = None,
        namespace: str = "default",
        journal_size: int | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "scenarios": scenarios or (), "seed": seed, "admin_token": admin_token,
            "store": store, "state": state, "namespace": namespace, "host": host,
            "port": port, "threads": threads, "server": "waitress",
        }  # fmt: skip
        if journal_size is not None:
            options["journal_size"] = journal_size
        self.app = create_app(MockConfig.build(options))
        self._host = host
        self._port = port
        self._threads = threads
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def runtime(self) -> MockRuntime:
        return runtime_of(self.app)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the base URL (append ``contract.PATH``)."""
        if self._server is None:
            raise RuntimeError("the mock server is not running; use it as a context manager")
        return f"http://{_url_host(self._host)}:{self._server.effective_port}"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the mock server is not running")
        return int(self._server.effective_port)

    def start(self) -> MockServer:
        if self._server is not None:
            return self
        self.runtime.resume_pausing()
        self._server = make_server(self.app, self._host, self._port, self._threads)
        self._thread = threading.Thread(
            target=self._server.run, name="juhe-mock-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.runtime.stop_pausing()  # a request waiting out a latency rule answers now
        stop_server(self._server, self._thread)
        self._server = None
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def configure(self, scenario: ScenarioSource) -> None:
        """Replace the scenario (a document or a file path) above the built-in defaults.

        :raises ConfigError: for an invalid document; the old scenario stays in force.
        """
        self.runtime.configure(scenario)

    def add_rule(self, rule: Mapping[str, Any]) -> str:
        """Append one rule to the scenario in force; returns its name."""
        return self.runtime.add_rule(rule)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal, oldest first (see ``GET /__admin/requests``)."""
        return self.runtime.requests()

    @property
    def usage(self) -> dict[str, Any]:
        """The billing ledger: ``{"billable": N, "by_key": {...}, "by_code": {...}}``."""
        return self.runtime.usage()

    def reset(self) -> None:
        """Back to the scenarios it was started with; counters, journal, ledger cleared."""
        self.runtime.reset()
