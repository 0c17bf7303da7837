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
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

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


class SettingsError(ValueError):
    """A setting that cannot be used; the message names its source and why (one line)."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _port(value: Any) -> int:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        raise ValueError(f"{value!r} is not a port number")
    port = int(value) if isinstance(value, str) else value
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"{port} is not between 0 and 65535")
    return port


def _at_least_one(value: Any) -> int:
    number = _int(value) if isinstance(value, str) else value
    if not isinstance(number, int) or number < 1:
        raise ValueError("must be at least 1")
    return number


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"{value!r} is not {' or '.join(options)}")
        return str(value)

    return check


def _redis_timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not 0.01 <= seconds <= 60:  # NaN fails too
        raise ValueError(f"{value!r} is not between 0.01 and 60 seconds")
    return seconds


def _token(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        # An empty token would mean "no token" to one reader and "open to all" to another.
        raise ValueError("an empty admin token protects nothing; give a token or none")
    return value


def _seconds(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not 0 < number <= 3600 or number != number:
        raise ValueError("must be more than 0 and at most 3600 seconds")
    return number


def _optional_at_least_one(value: Any) -> int | None:
    return None if value is None or value == "" else _at_least_one(value)


def _optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return _int(value) if isinstance(value, str) else int(value)


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _flag(value: Any) -> bool:
    """A switch: a bool, or from the environment 1/true/yes/on and 0/false/no/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{value!r} is not a switch (1/true/yes/on or 0/false/no/off)")


def _scenarios(value: Any) -> list[ScenarioSource]:
    if isinstance(value, str):  # the environment: paths separated as in PATH
        return [part for part in value.split(os.pathsep) if part]
    if isinstance(value, (Mapping, Path)):
        return [value]
    return list(value)


def _paths(value: Any) -> list[str]:
    if isinstance(value, str):  # the environment: paths separated as in PATH
        return [part for part in value.split(os.pathsep) if part]
    if isinstance(value, Path):
        return [str(value)]
    return [str(part) for part in value]


#: Each setting's environment variable (None: not read from the environment) and how a
#: value is checked. The command line's options carry the field's name (``--admin-token``).
_SETTINGS: dict[str, tuple[str | None, Callable[[Any], Any]]] = {
    "scenarios": ("JUHE_MOCK_SCENARIOS", _scenarios),
    "replay": ("JUHE_MOCK_REPLAY", _paths),
    "seed": ("JUHE_MOCK_SEED", _optional_int),
    "admin_token": ("JUHE_MOCK_ADMIN_TOKEN", _token),
    "state": ("JUHE_MOCK_STATE", _optional_text),
    "namespace": ("JUHE_MOCK_NAMESPACE", str),
    "host": ("JUHE_MOCK_HOST", str),
    "port": ("JUHE_MOCK_PORT", _port),
    "server": ("JUHE_MOCK_SERVER", _choice(SERVERS)),
    "threads": ("JUHE_MOCK_THREADS", _optional_at_least_one),
    "workers": ("JUHE_MOCK_WORKERS", _at_least_one),
    "log_format": ("JUHE_MOCK_LOG_FORMAT", _choice(LOG_FORMATS)),
    "journal_size": ("JUHE_MOCK_JOURNAL_SIZE", _at_least_one),
    "ledger_keys": ("JUHE_MOCK_LEDGER_KEYS", _at_least_one),
    "redis_timeout_s": ("JUHE_MOCK_REDIS_TIMEOUT_S", _redis_timeout),
    "max_content_length": ("JUHE_MOCK_MAX_CONTENT_LENGTH", _at_least_one),
    "drain_timeout": ("JUHE_MOCK_DRAIN_TIMEOUT", _seconds),
    "body_timeout": ("JUHE_MOCK_BODY_TIMEOUT", _seconds),
    "idle_timeout": ("JUHE_MOCK_IDLE_TIMEOUT", _seconds),
    "watch": ("JUHE_MOCK_WATCH", _flag),
    "cors": ("JUHE_MOCK_CORS", _flag),
    "tls_cert": ("JUHE_MOCK_TLS_CERT", _optional_text),
    "tls_key": ("JUHE_MOCK_TLS_KEY", _optional_text),
    "tls_self_signed": ("JUHE_MOCK_TLS_SELF_SIGNED", _flag),
    "store": (None, lambda value: value),
    "clock": (None, lambda value: value),
    "lane_dir": (None, _optional_text),
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
    or ``tls_self_signed`` (a certificate made at start for loopback). ``clock``: time for
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
    clock: Callable[[], float] = field(default=time.time)
    #: Set by ``juhe-mock`` for several workers with memory state (orderid lanes).
    lane_dir: str | None = None

    def __post_init__(self) -> None:
        # One document or one path is a list of one: iterated as it is, a path gave its
        # characters and a dict its keys, each then reported as "no such file".
        if isinstance(self.scenarios, (Mapping, str, Path)):
            self.scenarios = [self.scenarios]
        self.replay = _paths(self.replay)
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
