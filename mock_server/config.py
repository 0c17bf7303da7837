"""One settings shape for every way of running the mock: :class:`MockConfig`.

Built in one order, as Flask's ``create_app`` is: the defaults, then the environment
(``JUHE_MOCK_*``, when asked for: the command line and the workers read it, an in-process
mock does not, so that a test's mock never changes with the shell it runs in), then the
command line's arguments, then an explicit mapping. A value that cannot be used is a
:class:`SettingsError` naming where it came from (``JUHE_MOCK_PORT: ...``, ``--port: ...``).

The settings travel to granian's worker processes as JSON (:meth:`MockConfig.to_json`, in
a file only the user can read); what cannot travel (a ready ``store``, a ``clock``) is for
in-process mocks only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from . import checks
from .state.store import DEFAULT_JOURNAL_SIZE, DEFAULT_LEDGER_KEYS

if TYPE_CHECKING:
    from .state.store import Store

__all__ = [
    "DEFAULT_JOURNAL_SIZE",
    "DEFAULT_LEDGER_KEYS",
    "DEFAULT_MAX_CONTENT_LENGTH",
    "DEFAULT_REDIS_TIMEOUT_S",
    "ENVIRONMENT",
    "RETIRED_SERVERS",
    "SERVERS",
    "MockConfig",
    "ScenarioSource",
    "SettingsError",
]

#: A scenario given in Python: a document (dict) or the path of a YAML/JSON file.
ScenarioSource = Union[Mapping[str, Any], str, Path]  # noqa: UP007 - a runtime alias on 3.10

#: The largest request body accepted (form posts are tiny; scenario documents are not).
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
#: How long one Redis command may take before the request gets a 503 (state/redis_store.py).
DEFAULT_REDIS_TIMEOUT_S = 1.0
SERVERS = ("granian", "waitress")
#: Servers the mock no longer runs on, and why (``juhe-mock`` exits 2 with the message).
RETIRED_SERVERS = {
    "waitress": (
        "--server waitress is retired: it gave every connection a thread, so idle clients, "
        "stalled bodies and delayed answers stopped service for the others. The default "
        "(granian's event loop) serves every case waitress did; see docs/architecture.md, "
        "'Serving'"
    ),
}
LOG_FORMATS = ("text", "json")
#: Seconds a stop waits for the answers in flight before it cuts their waits short.
DEFAULT_DRAIN_TIMEOUT = 3.0
#: Seconds a client has to send a request's body once its headers are in.
DEFAULT_BODY_TIMEOUT = 10.0
#: Seconds a client has to send a request's headers, and a kept-alive connection may idle.
DEFAULT_IDLE_TIMEOUT = 10.0
#: The guard proxy (docs/proxy.md): how long an answer is cached, and each upstream phase.
DEFAULT_CACHE_TTL = 86400.0
DEFAULT_UPSTREAM_TIMEOUT = 10.0
#: Settings that only mean something for the guard proxy (``upstream``).
_PROXY_ONLY = ("budget_per_day", "budget_per_month", "ledger", "record")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names its source and why (one line)."""


#: Each setting's environment variable (None: not read from the environment) and how a
#: value is checked. The command line's options carry the field's name (``--admin-token``).
_SETTINGS: dict[str, tuple[str | None, Callable[[Any], Any]]] = {
    "scenarios": ("JUHE_MOCK_SCENARIOS", checks.scenarios),
    "replay": ("JUHE_MOCK_REPLAY", checks.paths),
    "seed": ("JUHE_MOCK_SEED", checks.optional_int),
    "admin_token": ("JUHE_MOCK_ADMIN_TOKEN", checks.token),
    "state": ("JUHE_MOCK_STATE", checks.optional_text),
    "namespace": ("JUHE_MOCK_NAMESPACE", str),
    "host": ("JUHE_MOCK_HOST", str),
    "port": ("JUHE_MOCK_PORT", checks.port),
    "server": ("JUHE_MOCK_SERVER", checks.choice(SERVERS)),
    "threads": ("JUHE_MOCK_THREADS", checks.optional_at_least_one),
    "workers": ("JUHE_MOCK_WORKERS", checks.at_least_one),
    "log_format": ("JUHE_MOCK_LOG_FORMAT", checks.choice(LOG_FORMATS)),
    "journal_size": ("JUHE_MOCK_JOURNAL_SIZE", checks.at_least_one),
    "ledger_keys": ("JUHE_MOCK_LEDGER_KEYS", checks.at_least_one),
    "redis_timeout_s": ("JUHE_MOCK_REDIS_TIMEOUT_S", checks.redis_timeout),
    "max_content_length": ("JUHE_MOCK_MAX_CONTENT_LENGTH", checks.at_least_one),
    "drain_timeout": ("JUHE_MOCK_DRAIN_TIMEOUT", checks.seconds),
    "body_timeout": ("JUHE_MOCK_BODY_TIMEOUT", checks.seconds),
    "idle_timeout": ("JUHE_MOCK_IDLE_TIMEOUT", checks.seconds),
    "watch": ("JUHE_MOCK_WATCH", checks.flag),
    "cors": ("JUHE_MOCK_CORS", checks.flag),
    "tls_cert": ("JUHE_MOCK_TLS_CERT", checks.optional_text),
    "tls_key": ("JUHE_MOCK_TLS_KEY", checks.optional_text),
    "tls_self_signed": ("JUHE_MOCK_TLS_SELF_SIGNED", checks.flag),
    "upstream": ("JUHE_MOCK_UPSTREAM", checks.upstream),
    "upstream_timeout": ("JUHE_MOCK_UPSTREAM_TIMEOUT", checks.seconds),
    "cache_ttl": ("JUHE_MOCK_CACHE_TTL", checks.ttl),
    "budget_per_day": ("JUHE_MOCK_BUDGET_PER_DAY", checks.optional_count),
    "budget_per_month": ("JUHE_MOCK_BUDGET_PER_MONTH", checks.optional_count),
    "ledger": ("JUHE_MOCK_LEDGER", checks.optional_text),
    "record": ("JUHE_MOCK_RECORD", checks.optional_text),
    "store": (None, lambda value: value),
    "clock": (None, lambda value: value),
    "lane_dir": (None, checks.optional_text),
}
#: The environment variables the mock reads, by setting.
ENVIRONMENT = {name: env for name, (env, _) in _SETTINGS.items() if env is not None}
#: What cannot travel to a worker process as JSON.
_IN_PROCESS_ONLY = ("store", "clock")


@dataclass
class MockConfig:
    """How to build and serve a mock: ``create_app(MockConfig(...))`` or a mapping of these.

    What it answers: ``scenarios`` (documents or YAML/JSON paths, merged in order on the
    built-in defaults), ``replay`` (recordings whose hashes answer as recorded,
    docs/recording.md), ``seed``. Where state lives: ``store`` (a ready one, in process),
    else ``state`` (``redis://HOST:PORT/DB``; None: memory), its ``namespace`` and
    ``redis_timeout_s`` (the longest a Redis command may take: then a 503); ``journal_size``
    (requests kept), ``ledger_keys`` (key fingerprints the ledger counts one by one, the
    rest in one bucket). The admin API: ``admin_token``. How it is served (``juhe-mock``):
    ``host``, ``port``, ``server``, ``threads`` (None: the server's default), ``workers``,
    ``log_format``, ``max_content_length``; how long a stop waits for the answers in flight
    (``drain_timeout``), a body may take (``body_timeout``), headers may take and a
    kept-alive connection may idle (``idle_timeout``), in seconds; ``watch``: reload
    changed scenario files (``juhe-mock`` in one process); ``cors``: CORS headers and
    preflight answers on the API path; HTTPS with ``tls_cert`` and ``tls_key`` (PEM files),
    or ``tls_self_signed`` (a certificate made at start for loopback). The guard proxy
    (docs/proxy.md): ``upstream`` (``live`` or a URL; its key is ``JUHE_KEY`` in the
    environment, never a setting), ``upstream_timeout``, ``cache_ttl`` (seconds, 0: none),
    ``budget_per_day`` / ``budget_per_month``, ``ledger`` (a ledger file for the budget
    without Redis), ``record`` (a recording of the upstream's answers). ``clock``: time for
    every window and orderid.
    """

    scenarios: Sequence[ScenarioSource] = ()
    replay: Sequence[str] = ()
    seed: int | None = None
    admin_token: str | None = None
    state: str | None = None
    namespace: str = "default"
    store: Store | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    ledger_keys: int = DEFAULT_LEDGER_KEYS
    redis_timeout_s: float = DEFAULT_REDIS_TIMEOUT_S
    host: str = "127.0.0.1"
    port: int = 8000
    server: str = "granian"
    threads: int | None = None
    workers: int = 1
    log_format: str = "text"
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    watch: bool = False
    cors: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_self_signed: bool = False
    upstream: str | None = None
    upstream_timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    cache_ttl: float = DEFAULT_CACHE_TTL
    budget_per_day: int | None = None
    budget_per_month: int | None = None
    ledger: str | None = None
    record: str | None = None
    clock: Callable[[], float] = field(default=time.time)
    #: Set by ``juhe-mock`` for several workers with memory state (orderid lanes).
    lane_dir: str | None = None

    def __post_init__(self) -> None:
        # One document or one path is a list of one: iterated as it is, a path gave its
        # characters and a dict its keys, each then reported as "no such file".
        if isinstance(self.scenarios, (Mapping, str, Path)):
            self.scenarios = [self.scenarios]
        self.replay = checks.paths(self.replay)
        checked = ("port", "workers", "journal_size", "max_content_length", "admin_token")
        timeouts = ("drain_timeout", "body_timeout", "idle_timeout", "redis_timeout_s")
        for name in (*checked, "ledger_keys", *timeouts):
            try:
                _SETTINGS[name][1](getattr(self, name))
            except ValueError as error:
                raise SettingsError(f"{name}: {error}") from None
        if (self.tls_cert is None) != (self.tls_key is None):
            given, missing = ("tls_cert", "tls_key") if self.tls_key is None else (
                "tls_key", "tls_cert")  # fmt: skip
            raise SettingsError(
                f"{given}: needs {missing} too (--tls-cert and --tls-key go together)"
            )
        if self.tls_self_signed and self.tls_cert is not None:
            raise SettingsError(
                "tls_self_signed: a certificate is given as well (tls_cert); use one or the other"
            )
        self._check_proxy()

    def _check_proxy(self) -> None:
        for name in ("upstream", "cache_ttl", "upstream_timeout", *_PROXY_ONLY):
            try:
                setattr(self, name, _SETTINGS[name][1](getattr(self, name)))
            except ValueError as error:
                raise SettingsError(f"{name}: {error}") from None
        if self.upstream is None:
            given = [name for name in _PROXY_ONLY if getattr(self, name) is not None]
            if given:
                raise SettingsError(
                    f"{given[0]}: only for the guard proxy; give upstream (--upstream URL|live)"
                )
            return
        if self.ledger is not None and self.state is not None:
            raise SettingsError(
                "ledger: with state (Redis) the proxy's budget is kept there; give one of them"
            )
        if self.workers > 1 and self.state is None and self.store is None:
            raise SettingsError(
                f"workers: {self.workers} proxy workers must share the cache and the budget; "
                "give state (--state redis://HOST:PORT/DB)"
            )

    @classmethod
    def build(
        cls,
        mapping: MockConfig | Mapping[str, Any] | None = None,
        *,
        arguments: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> MockConfig:
        """Defaults, then ``environ``'s ``JUHE_MOCK_*``, then ``arguments`` (the command
        line's, only those given), then ``mapping``.

        :raises SettingsError: naming the variable, option or field and why.
        """
        if isinstance(mapping, MockConfig) and not environ and not arguments:
            return mapping
        values: dict[str, Any] = {}
        for name, env in ENVIRONMENT.items():
            text = (environ or {}).get(env)
            if text is not None and (text != "" or name == "admin_token"):
                values[name] = _checked(name, text, env)
        for name, value in (arguments or {}).items():
            values[name] = _checked(name, value, "--" + name.replace("_", "-"))
        if isinstance(mapping, MockConfig):
            mapping = {f.name: getattr(mapping, f.name) for f in fields(cls)}
        for name, value in (mapping or {}).items():
            if name not in _SETTINGS:
                raise SettingsError(f"{name}: not a setting of the mock")
            values[name] = _checked(name, value, name)
        return cls(**values)

    @classmethod
    def of(cls, config: MockConfig | Mapping[str, Any] | None) -> MockConfig:
        """The settings of ``create_app(config)``: defaults then ``config``, no environment."""
        return cls.build(config)

    def to_json(self) -> str:
        """These settings as JSON, for a worker process (:meth:`from_json`).

        :raises ValueError: for a ready store or a clock, which cannot leave this process.
        """
        if self.store is not None or self.clock is not time.time:
            raise ValueError("a ready store or a clock cannot travel to a worker process")
        data = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in _IN_PROCESS_ONLY
        }
        data["scenarios"] = [
            str(source) if isinstance(source, (str, Path)) else dict(source)
            for source in self.scenarios
        ]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> MockConfig:
        return cls(**json.loads(text))


def _checked(name: str, value: Any, where: str) -> Any:
    if name not in _SETTINGS:
        raise SettingsError(f"{where}: not a setting of the mock")
    try:
        return _SETTINGS[name][1](value)
    except (ValueError, TypeError) as error:
        raise SettingsError(f"{where}: {error}") from None
