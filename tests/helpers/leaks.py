"""A leak detector for the whole test session: no API key and no plaintext phone number in
any log record, journal entry, ledger entry or report that the code under test produces.

What is watched (:meth:`LeakDetector.install_session`):

- every log record reaching the root logger (message and ``extra`` fields), from any test;
- every line ``juhe-mock``'s log writer writes in this process (``serve.logs.LogWriter``:
  request lines do not go through ``logging`` there);
- every journal entry and ledger entry any store records, in memory or in Redis;
- what a test reads back from ``capsys``/``capfd`` (the CLIs' reports) and whatever output
  a test leaves captured;
- the log of every ``juhe-mock`` a test runs as a separate process (:meth:`saw_file`).

What counts as a secret: every key the mock's engine or a ``TenureClient`` is given, and
every key a test sends over HTTP with ``requests`` (to a mock in another process), when it
is long and varied enough that finding it by chance inside a hash is impossible (``"k"``
would match everywhere); and every plaintext magic number. Tests hold keys in their own
variables and send them; that is not checked — only what the code writes.

The texts and secrets are gathered during the run and compared once, at the end
(``pytest_sessionfinish``), so that a text seen before its key was known is still checked.
A finding fails the session and is listed in the terminal summary.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from .paths import ROOT

__all__ = [
    "SESSION",
    "LeakDetector",
    "judge",
    "pytest_configure",
    "pytest_runtest_logreport",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]

_STANDARD_RECORD_FIELDS = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {
    "message",
    "asctime",
}
#: Journal fields the server makes from its own clock: never caller input, always unique.
_VOLATILE = ("time", "latency_ms")
_HEX = set("0123456789abcdefABCDEF")


def worth_watching(secret: str) -> bool:
    """Whether a string is distinctive enough to look for: a short or repetitive key (or a
    short hex one) would turn up by chance inside hashes and timestamps, and a key spelled
    like a number's sha256 (Hypothesis sends those) cannot be told from the journal's
    ``mobile`` hash, which is meant to be there."""
    if len(secret) == 11 and secret.isdigit():
        return True  # a mainland mobile number
    if len(secret) < 8 or len(set(secret)) < 4:
        return False
    if set(secret) <= _HEX:
        return 16 <= len(secret) < 64
    return True


@functools.cache
def _package_source() -> str:
    # The shipped scenarios are the packages' own text too: a key a named scenario defines
    # ("trial-key") shows in its description, which --list-scenarios prints.
    return "\x00".join(
        path.read_text(encoding="utf-8")
        for package in ("contract", "mock_server", "client")
        for pattern in ("*.py", "*.yaml")
        for path in sorted((ROOT / package).rglob(pattern))
    )


def own_words(secret: str) -> bool:
    """Whether ``secret`` is text from the packages' own source (a probe's name such as
    "empty key", a rule id, a content type). Hypothesis draws strings from the constants
    in the code under test, so a fuzzed key can be such a text, and the code prints it
    for its own reasons: finding it in a report is no leak. A phone number is never
    excused: the docs name the magic numbers, but no output may carry one."""
    if len(secret) == 11 and secret.isdigit():
        return False
    return secret in _package_source()


def _standing_alone(secret: str, text: str) -> int:
    """Where ``secret`` occurs in ``text`` as itself, or -1. A hex secret flanked by more hex
    digits is part of a longer hex string, such as the journal's ``mobile`` hash when a
    test sends a truncated hash as the key: that is the hash, not the key."""
    at = text.find(secret)
    if not set(secret) <= _HEX:
        return at
    while at >= 0:
        before = text[at - 1] if at else ""
        after = text[at + len(secret) : at + len(secret) + 1]
        if before not in _HEX and after not in _HEX:
            return at
        at = text.find(secret, at + 1)
    return -1


class _Handler(logging.Handler):
    def __init__(self, detector: LeakDetector) -> None:
        super().__init__(logging.NOTSET)
        self.detector = detector

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging caller's problem
            message = str(record.msg)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_FIELDS}
        self.detector.saw(f"log record {record.name}", f"{message} {extras!r}")


class LeakDetector:
    """Collects texts the code under test produced and the secrets it was given."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.texts: dict[str, str] = {}  # text -> where it was first seen
        self.where = "session"  # the current test, for the report
        self.verdict: list[str] = []
        self._undo: list[Callable[[], None]] = []

    # --- gathering ------------------------------------------------------------------------

    def add_secret(self, secret: object) -> None:
        if isinstance(secret, str) and worth_watching(secret) and not own_words(secret):
            self.secrets.add(secret)

    def saw(self, source: str, text: str) -> None:
        if text and text not in self.texts:
            self.texts[text] = f"{source} (in {self.where})"

    def saw_file(self, source: str, path: Any) -> None:
        """A file the code under test wrote (a subprocess's log), if it exists."""
        with contextlib.suppress(FileNotFoundError):
            self.saw(source, Path(path).read_text(encoding="utf-8", errors="replace"))

    def saw_entry(self, source: str, entry: Any) -> None:
        if isinstance(entry, dict):
            entry = {k: v for k, v in entry.items() if k not in _VOLATILE}
        self.saw(source, repr(entry))

    # --- the verdict ----------------------------------------------------------------------

    def findings(self) -> list[str]:
        """One line per secret found, naming where it was seen."""
        if not self.secrets or not self.texts:
            return []
        corpus = "\x00".join(self.texts)
        found = []
        for secret in sorted(self.secrets):
            if secret not in corpus:
                continue
            for text, where in self.texts.items():
                at = _standing_alone(secret, text)
                if at >= 0:
                    # The report must not leak it either: it is shown redacted.
                    start = max(at - 60, 0)
                    excerpt = text[start : start + 160 + len(secret)].replace(secret, "<SECRET>")
                    label = f"{secret[:3]}… (length {len(secret)})"
                    found.append(f"secret {label} in {where}: {excerpt!r}")
                    break
        return found

    # --- instrumentation ------------------------------------------------------------------

    def _patch(self, owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, wrapper(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def watch_logger(self, logger: logging.Logger) -> None:
        handler = _Handler(self)
        logger.addHandler(handler)
        self._undo.append(lambda: logger.removeHandler(handler))

    def watch_store(self, store_class: type) -> None:
        """Every journal and ledger entry an instance of ``store_class`` records (one by
        one, or a request's together through ``settle``)."""

        def journal(original: Callable[..., None]) -> Callable[..., None]:
            def journal_append(store: Any, entry: Any) -> None:
                self.saw_entry("journal entry", entry)
                original(store, entry)

            return journal_append

        def ledger(original: Callable[..., None]) -> Callable[..., None]:
            def ledger_add(store: Any, key_fp: str, code: str) -> None:
                self.saw("ledger entry", f"{key_fp} {code}")
                original(store, key_fp, code)

            return ledger_add

        def settle(original: Callable[..., bool]) -> Callable[..., bool]:
            # What the mock calls for each request: its entry, bill and quota in one step.
            def settled(store: Any, entry: Any, bill: Any = None, *args: Any, **kw: Any) -> bool:
                refused = kw.get("refused", args[1] if len(args) > 1 else None)
                for each in (entry, refused):
                    if each is not None:
                        self.saw_entry("journal entry", each)
                if bill is not None:
                    self.saw("ledger entry", " ".join(bill))
                return original(store, entry, bill, *args, **kw)

            return settled

        self._patch(store_class, "journal_append", journal)
        self._patch(store_class, "ledger_add", ledger)
        if "settle" in store_class.__dict__:
            self._patch(store_class, "settle", settle)

    def watch_arguments(self, owner: type, name: str, pick: Callable[..., Iterable[Any]]) -> None:
        """Register as secrets what ``pick(*args, **kwargs)`` returns, at every call."""

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def watched(*args: Any, **kwargs: Any) -> Any:
                try:
                    for secret in pick(*args, **kwargs):
                        self.add_secret(secret)
                except Exception:  # a strange call is for the code under test to judge
                    pass
                return original(*args, **kwargs)

            return watched

        self._patch(owner, name, wrap)

    def watch_writes(self, owner: type, name: str, source: str) -> None:
        """Every text written through ``owner.name(self, text)`` (the log writer's lines)."""

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def write(writer: Any, text: str) -> Any:
                self.saw(source, text)
                return original(writer, text)

            return write

        self._patch(owner, name, wrap)

    def watch_readouterr(self, fixture_class: type) -> None:
        """What tests read back from ``capsys``/``capfd``: the CLIs' reports."""

        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def readouterr(fixture: Any) -> Any:
                result = original(fixture)
                for part in (result.out, result.err):
                    if isinstance(part, str):
                        self.saw("captured output", part)
                return result

            return readouterr

        self._patch(fixture_class, "readouterr", wrap)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def install_session(self) -> None:
        """Watch everything listed in the module docstring."""
        import requests
        from _pytest.capture import CaptureFixture

        from client.client import TenureClient
        from contract import MAGIC_NUMBERS
        from mock_server.engine import Engine
        from mock_server.serve.logs import LogWriter
        from mock_server.state.redis_store import RedisStore
        from mock_server.state.store import InMemoryStore

        for phone in MAGIC_NUMBERS:
            self.add_secret(phone)
        self.watch_logger(logging.getLogger())
        self.watch_store(InMemoryStore)
        self.watch_store(RedisStore)
        self.watch_writes(LogWriter, "write", "log writer")
        self.watch_arguments(Engine, "decide", lambda engine, call: [call.key])
        self.watch_arguments(TenureClient, "__init__", lambda client, key=None, *a, **k: [key])
        self.watch_arguments(requests.Session, "request", sent_keys)
        self.watch_readouterr(CaptureFixture)


def sent_keys(
    session: Any, method: str, url: str, params: Any = None, data: Any = None, *a: Any, **k: Any
) -> list[Any]:
    """The ``key`` of a request's query or form, when given as a mapping."""
    return [part.get("key") for part in (params, data) if isinstance(part, dict)]


#: The detector of this test session (this module is a plugin of ``tests/conftest.py``).
SESSION = LeakDetector()


# --- pytest hooks (tests/conftest.py names this module in pytest_plugins) -----------------


def pytest_configure(config: pytest.Config) -> None:
    SESSION.install_session()


def pytest_unconfigure(config: pytest.Config) -> None:
    SESSION.uninstall()


def pytest_runtest_setup(item: pytest.Item) -> None:
    SESSION.where = item.nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, text in report.sections:
        if name.startswith("Captured"):
            SESSION.saw(name.lower(), text)


def judge(detector: LeakDetector, session: Any) -> list[str]:
    """Fail ``session`` (set its exit status) when ``detector`` found a secret."""
    detector.where = "session end"
    detector.verdict = detector.findings()
    if detector.verdict:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return detector.verdict


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    judge(SESSION, session)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    findings = SESSION.verdict
    if findings:
        terminalreporter.section("secrets leaked by the code under test", red=True)
        for line in findings:
            terminalreporter.line(line)
    else:
        terminalreporter.line(
            f"leak check: {len(SESSION.secrets)} keys and numbers, none in "
            f"{len(SESSION.texts)} log records, journal entries and reports"
        )
