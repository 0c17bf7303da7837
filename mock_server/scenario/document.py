"""Scenario documents: reading (YAML or JSON), validating and merging.

A document is checked against :data:`~mock_server.scenario.schema.SCENARIO_SCHEMA`, then
compiled (:mod:`mock_server.scenario.compile`) once, when it is read, so that nothing per
request parses, compiles or reads a file. Every problem is a :class:`ConfigError` naming the
source, the JSON path of the bad field and why.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import library
from .compile import CompiledDocument, compile_document, compile_rule, rule_digest
from .errors import TOO_DEEP, ConfigError, member_path
from .model import Rule
from .schema import RULE_SCHEMA, SCENARIO_SCHEMA

__all__ = [
    "compile_file",
    "compile_text",
    "default_compiled",
    "default_document",
    "load_document",
    "load_documents",
    "merge_documents",
    "parse_document",
    "validate_document",
    "validate_rule",
]

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


# jsonschema (and its referencing machinery) costs a mock's start-up more than anything
# else it imports; a mock started with no scenario never validates, so it is imported when
# the first document is checked.
@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(SCENARIO_SCHEMA)


@lru_cache(maxsize=1)
def _rule_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(RULE_SCHEMA)


# Under these names a later document replaces the earlier value instead of merging into it.
_REPLACED = frozenset({"weights", "rate"})


def load_document(path: str | Path) -> dict[str, Any]:
    """Read one scenario file (YAML or JSON); :raises ConfigError: if unreadable or invalid."""
    return dict(compile_file(path).document)


def compile_file(path: str | Path) -> CompiledDocument:
    """Read, validate and compile one scenario file (YAML or JSON), or the shipped scenario
    a bare name names when no such file exists (:mod:`.library`).

    :raises ConfigError: naming the file, the field and why.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        if library.is_bare_name(path):  # no such file: a shipped scenario's name?
            named = library.named_text(str(path))
            if named is not None:
                return compile_text(named, library.source_label(str(path)))
            raise ConfigError(
                source, "$", "no such file, nor a shipped scenario (juhe-mock --list-scenarios)"
            ) from None
        raise ConfigError(source, "$", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(source, "$", "a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "$", f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(source, "$", f"cannot read it: {exc.strerror or exc}") from None
    return compile_text(text, source)


def parse_document(text: str, source: str) -> dict[str, Any]:
    """Parse YAML (which includes JSON) and validate it."""
    return dict(compile_text(text, source).document)


def compile_text(text: str, source: str, *, checked: bool = True) -> CompiledDocument:
    """Parse YAML (which includes JSON), validate and compile it.

    :param checked: False for the built-in default only (its schema check is a test's).
    """
    try:
        data = _plain(yaml.safe_load(text)) if text.strip() else {}
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "$"
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        raise ConfigError(source, where, f"not valid YAML or JSON: {problem}") from None
    if not checked:
        return compile_document(data, source)
    return validate_document(data, source)


def _plain(value: Any) -> Any:
    # YAML turns unquoted dates into date objects; the schema wants strings.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def load_documents(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [load_document(p) for p in paths]


def default_document() -> dict[str, Any]:
    """The built-in scenario (package data): the mock's behaviour with no configuration."""
    return copy.deepcopy(dict(default_compiled().document))


@lru_cache(maxsize=1)
def default_compiled() -> CompiledDocument:
    """The built-in scenario, read and compiled once per process."""
    text = resources.files(__package__).joinpath("default.yaml").read_text("utf-8")
    # Our own file: tests check it against the schema, so no start-up pays for jsonschema.
    return compile_text(text, "mock_server/scenario/default.yaml", checked=False)


def _non_finite(value: Any, path: str = "$") -> str | None:
    """The JSON path of the first NaN or infinity in ``value``, if any.

    JSON (``NaN``, as Python's parser reads it) and YAML (``.nan``, ``.inf``) both let them
    through, and the schema's bounds cannot stop a NaN, which compares false to everything.
    """
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = ((member_path(str(k)), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for step, item in items:
        found = _non_finite(item, path + step)
        if found is not None:
            return found
    return None


def _check(validator: Draft202012Validator, data: Any, source: str) -> None:
    """Schema-check ``data``, or raise the :class:`ConfigError` that best says what is wrong."""
    from jsonschema.exceptions import best_match

    where = _non_finite(data)
    if where is not None:
        raise ConfigError(source, where, "must be a finite number (not NaN or infinity)")
    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise ConfigError(source, str(error.json_path), error.message)


def validate_document(data: Any, source: str) -> CompiledDocument:
    """``data`` checked against the schema and compiled (once: keep what this returns).

    :raises ConfigError: unless ``data`` is a valid scenario document.
    """
    try:
        _check(_validator(), data, source)
        return compile_document(data, source)
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None


def validate_rule(data: Any, source: str) -> Rule:
    """One rule checked and compiled (at place 0; see ``compile.place_rule``).

    :raises ConfigError: unless ``data`` is one valid rule.
    """
    try:
        _check(_rule_validator(), data, source)
        return compile_rule(data, 0, rule_digest(data), source, "$")
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None


def merge_documents(docs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Later documents win for single values; lists (rules, windows, IPs) are concatenated."""
    merged: dict[str, Any] = {}
    for doc in docs:
        _merge_into(merged, doc)
    return merged


def _merge_into(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for name, value in extra.items():
        old = target.get(name)
        if isinstance(old, dict) and isinstance(value, dict) and name not in _REPLACED:
            _merge_into(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            target[name] = old + copy.deepcopy(value)
        else:
            target[name] = copy.deepcopy(value)
