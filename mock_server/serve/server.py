"""The mock in a test suite: :class:`MockServer`, served on a loopback port in a thread.

::

    with MockServer(scenarios={"rules": [...]}, seed=1) as mock:
        requests.get(mock.url + "/mobile_online_sha256_cucc/query", params=...)
        mock.requests, mock.usage, mock.configure({...}), mock.reset()

It is the same app on the same server as ``juhe-mock`` (:mod:`.loop`: granian's event
loop, on a thread of its own here), so it keeps the same promises: delays that never
queue, bodies bounded in size and time, exact drops, and a stop that delivers what is in
flight (within ``drain_timeout``) before it returns.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MockConfig, ScenarioSource
from ..runtime import MockRuntime
from ..state.store import Store
from ..web.door_async import MockAsgi
from ..web.setup import build_runtime
from .cut import drop_connection
from .loop import Serving, reserve_port, scheme
from .tls import check_pair, with_certificate

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["MockServer"]

#: How long a start may take before :meth:`MockServer.start` gives up.
START_TIMEOUT_S = 30.0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class MockServer:
    """The mock served on a loopback port in a background thread.

    :param scenarios: a scenario document (dict), a path to a YAML/JSON file, or a list of
        them, merged in order on top of the built-in defaults.
    :param replay: recordings (paths, docs/recording.md) whose hashes answer as recorded.
    :param seed: overrides the documents' seed.
    :param port: 0 (default) picks a free port.
    :param threads: threads for the Flask side (admin API, odd requests).
    :param store: a shared :class:`~mock_server.state.store.Store` (default: in memory).
    :param state: a ``redis://`` URL to open a store from instead (see ``MockConfig``).
    :param drain_timeout: how long :meth:`stop` lets answers in flight finish (seconds).
    :param cors: CORS headers and preflight answers on the API path (``--cors``).
    :param tls: HTTPS: ``True`` for a self-signed certificate made at each start for
        127.0.0.1, ::1 and localhost (its file is :attr:`tls_cert`, to trust in a client),
        or ``(cert, key)``, PEM files.
    :param upstream: serve as the guard proxy for this URL (``live``: the vendor), asking it
        with ``upstream_key`` (default: ``JUHE_KEY``); ``proxy`` takes the proxy's other
        settings (``cache_ttl``, ``budget_per_day``, ``budget_per_month``, ``ledger``,
        ``record``, ``upstream_timeout``; docs/proxy.md).
    """

    def __init__(
        self,
        scenarios: ScenarioSource | Sequence[ScenarioSource] | None = None,
        *,
        replay: str | Path | Sequence[str | Path] = (),
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        admin_token: str | None = None,
        store: Store | None = None,
        state: str | None = None,
        namespace: str = "default",
        journal_size: int | None = None,
        drain_timeout: float | None = None,
        cors: bool = False,
        tls: bool | tuple[str | Path, str | Path] | None = None,
        upstream: str | None = None,
        upstream_key: str | None = None,
        proxy: Mapping[str, Any] | None = None,
    ) -> None:
        options: dict[str, Any] = {
            "scenarios": scenarios or (), "seed": seed, "admin_token": admin_token,
            "store": store, "state": state, "namespace": namespace, "host": host,
            "port": port, "threads": threads,
            "replay": [replay] if isinstance(replay, (str, Path)) else [str(r) for r in replay],
        }  # fmt: skip
        if journal_size is not None:
            options["journal_size"] = journal_size
        if drain_timeout is not None:
            options["drain_timeout"] = drain_timeout
        options["cors"] = cors
        options.update(proxy or {}, upstream=upstream)
        if tls is True:
            options["tls_self_signed"] = True
        elif tls:
            options["tls_cert"], options["tls_key"] = (str(part) for part in tls)
            check_pair(options["tls_cert"], options["tls_key"])
        self.config = MockConfig.build(options)
        self._tls_dir: Path | None = None
        self._served = self.config
        self._runtime = build_runtime(self.config, upstream_key=upstream_key)
        self._flask: Flask | None = None
        self._flask_lock = threading.Lock()
        self._serving: Serving | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._hooks: list[Callable[[], None]] = []

    @property
    def runtime(self) -> MockRuntime:
        return self._runtime

    @property
    def app(self) -> Flask:
        """The Flask app on this mock's runtime (built, and Flask imported, on first use):
        what serves the admin API and the requests the event-loop door leaves to it."""
        if self._flask is None:
            with self._flask_lock:
                if self._flask is None:
                    from ..web.app import create_app

                    self._flask = create_app(runtime=self._runtime)
        return self._flask

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with ``tls``), the base URL (append
        ``contract.PATH``)."""
        if self._port is None:
            raise RuntimeError("the mock server is not running; use it as a context manager")
        return f"{scheme(self._served)}://{_url_host(self.config.host)}:{self._port}"

    @property
    def tls_cert(self) -> Path | None:
        """The certificate served (the file a client trusts: ``session.verify = str(...)``),
        None without TLS; a self-signed one exists while the mock runs."""
        cert = self._served.tls_cert
        return Path(cert) if cert else None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the mock server is not running")
        return self._port

    def watch_api_calls(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` for every request to the API path this mock receives."""
        self._hooks.append(hook)

    def start(self) -> MockServer:
        if self._serving is not None:
            return self
        self._runtime.resume_pausing()
        self._served, self._tls_dir = with_certificate(self.config)
        try:
            return self._start()
        except BaseException:
            self._forget_certificate()
            raise

    def _start(self) -> MockServer:
        held = reserve_port(self.config.host, self.config.port)
        port = int(held.getsockname()[1])
        ready = threading.Event()
        failed: list[BaseException] = []
        asgi = MockAsgi(
            self._runtime, threads=self.config.threads or 8, drop=drop_connection,
            flask=lambda: self.app,
        )  # fmt: skip
        asgi.api_call_hooks = self._hooks
        serving = Serving(asgi, self._served, port, ready.set)

        def run() -> None:
            try:
                asyncio.run(serving.run())
            except BaseException as error:
                failed.append(error)
                ready.set()

        thread = threading.Thread(target=run, name="juhe-mock-server", daemon=True)
        thread.start()
        try:
            if not ready.wait(START_TIMEOUT_S) or failed:
                serving.stop_threadsafe()
                thread.join(timeout=10)
                raise RuntimeError(f"the mock server did not start: {failed or 'timed out'}")
        finally:
            held.close()
        self._serving, self._thread, self._port = serving, thread, port
        return self

    def stop(self) -> None:
        """Stop accepting, let the answers in flight finish (cut short after the drain
        timeout), and wait for the server's thread."""
        serving, thread = self._serving, self._thread
        if serving is None or thread is None:
            return
        serving.stop_threadsafe()
        thread.join(timeout=self.config.drain_timeout + 10)
        self._runtime.stop_pausing()
        self._serving = self._thread = None
        self._port = None
        self._forget_certificate()

    def _forget_certificate(self) -> None:
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None
        self._served = self.config

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def configure(self, scenario: ScenarioSource) -> None:
        """Replace the scenario (a document or a file path) above the built-in defaults.

        :raises ConfigError: for an invalid document; the old scenario stays in force.
        """
        self._runtime.configure(scenario)

    def add_rule(self, rule: Mapping[str, Any]) -> str:
        """Append one rule to the scenario in force; returns its name."""
        return self._runtime.add_rule(rule)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal, oldest first (see ``GET /__admin/requests``)."""
        return self._runtime.requests()

    @property
    def usage(self) -> dict[str, Any]:
        """The billing ledger: ``{"billable": N, "by_key": {...}, "by_code": {...}}``."""
        return self._runtime.usage()

    def reset(self) -> None:
        """Back to the scenarios it was started with; counters, journal, ledger cleared."""
        self._runtime.reset()
