"""The key out of every report a pytest run makes, whatever a server echoed into it.

Some Juhe hosts echo the key in ``result`` or ``reason`` on key errors; an assertion that
shows the answer, a traceback's locals, a log record or a ``print`` would then carry it
into the terminal, ``-rA``'s sections and the uploaded JUnit XML. The ``juhe`` plugin
passes every test and collection report through :func:`scrub_report` as it is made (in
the worker that made it, under pytest-xdist), so every later reader sees the scrubbed
text: the terminal, ``--junitxml``, ``-rA``, other plugins. The structure of a failure
(its traceback entries, crash line, sections) is kept; only its strings change
(``contract.scrub_key``: the key and its URL and JSON spellings become ``<key>``).
Output that pytest does not capture (``-s``, live logging) never passes through a report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import Any

import pytest

from contract.keys import scrub_key

__all__ = ["SECRET", "scrub_report", "scrubbed"]

#: The key to scrub, in the run's stash (set by the ``juhe`` plugin with this module).
SECRET: pytest.StashKey[str] = pytest.StashKey()


def scrubbed(value: Any, key: str) -> Any:
    """``value`` with ``key`` scrubbed from every string in it.

    Strings, lists and tuples are rebuilt; pytest's failure representations (dataclasses
    and the plain objects of ``_pytest``) are changed in place.
    """
    if isinstance(value, str):
        return scrub_key(value, key)
    if isinstance(value, list):
        return [scrubbed(v, key) for v in value]
    if isinstance(value, tuple):
        return tuple(scrubbed(v, key) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            object.__setattr__(value, field.name, scrubbed(getattr(value, field.name), key))
        return value
    if type(value).__module__.startswith("_pytest") and hasattr(value, "__dict__"):
        for name, inner in list(vars(value).items()):
            setattr(value, name, scrubbed(inner, key))
    return value


def scrub_report(report: Any, key: str) -> None:
    """Scrub a ``TestReport`` or ``CollectReport`` in place: its failure, its sections
    (captured output and logs) and its user properties."""
    if not key:
        return
    try:
        if report.longrepr is not None:
            report.longrepr = scrubbed(report.longrepr, key)
    except Exception:  # an unknown representation: keep its text, scrubbed
        report.longrepr = scrub_key(str(report.longrepr), key)
    report.sections = [scrubbed(tuple(section), key) for section in report.sections]
    properties = getattr(report, "user_properties", None)
    if properties:
        report.user_properties = [scrubbed(tuple(p), key) for p in properties]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    report = yield
    scrub_report(report, item.config.stash.get(SECRET, ""))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    scrub_report(report, collector.config.stash.get(SECRET, ""))
    return report
