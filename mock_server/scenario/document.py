"""Scenario documents: reading (YAML or JSON), validating and merging.

A document is parsed and bounded (:mod:`mock_server.scenario.parse`), checked against
:data:`~mock_server.scenario.schema.SCENARIO_SCHEMA`, then compiled
(:mod:`mock_server.scenario.compile`) once, when it is read, so that nothing per request
parses, compiles or reads a file. Every problem is a :class:`ConfigError` naming the
source, the JSON path of the bad field and why; no message spells out an API key (a
``keys.per_key`` name is shown as its fingerprint, and a schema message that would repeat
a value holding keys or phone numbers names the value's kind instead).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import library
from .compile import CompiledDocument, compile_document, compile_rule, rule_digest
from .errors import TOO_DEEP, ConfigError
from .model import Rule
from .parse import MAX_DOCUMENT_BYTES, json_path, parse_text, plain
from .schema import MAX_RULES, RULE_SCHEMA, SCENARIO_SCHEMA

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
    from jsonschema.exceptions import ValidationError


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


#: How a file's name says to parse it; any other name: JSON if it is JSON, else YAML.
_KINDS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def compile_file(path: str | Path) -> CompiledDocument:
    """Read, validate and compile one scenario file (JSON or YAML, by its name), or the
    shipped scenario a bare name names when no such file exists (:mod:`.library`).

    :raises ConfigError: naming the file, the field and why.
    """
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            why = f"{size:,} bytes; a scenario document is at most {MAX_DOCUMENT_BYTES:,} bytes"
            raise ConfigError(source, "$", why)
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
    return compile_text(text, source, _KINDS.get(Path(path).suffix.lower()))


def parse_document(text: str, source: str) -> dict[str, Any]:
    """Parse JSON or YAML and validate it."""
    return dict(compile_text(text, source).document)


def compile_text(
    text: str, source: str, kind: str | None = None, *, checked: bool = True
) -> CompiledDocument:
    """Parse (``kind`` ``"json"``, ``"yaml"``, or None: JSON if it is JSON, else YAML),
    validate and compile.

    :param checked: False for the built-in default only (its schema check is a test's).
    """
    data = parse_text(text, source, kind)
    if not checked:
        return compile_document(plain(data, source), source)
    return validate_document(data, source)


def load_documents(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [load_document(p) for p in paths]


def default_document() -> dict[str, Any]:
    """The built-in scenario (package data): the mock's behaviour with no configuration."""
    return copy.deepcopy(dict(default_compiled().document))


@lru_cache(maxsize=1)
def default_compiled() -> CompiledDocument:
    """The built-in scenario, read and compiled once per process."""
    # default.json is default.yaml as JSON (``python -m mock_server.serve.doctables`` writes
    # it; a test keeps them equal): a start reads it without importing PyYAML. Our own
    # file: tests check it against the schema, so no start pays for jsonschema either.
    text = resources.files(__package__).joinpath("default.json").read_text("utf-8")
    return compile_text(text, "mock_server/scenario/default.json", "json", checked=False)


#: Where a document (or one rule) holds API keys or phone numbers: a schema message about a
#: value there, or about an object or list around it, must not repeat the value.
_Fields = tuple[tuple[object, ...], ...]
_SECRET_FIELDS: _Fields = (
    ("keys", "allow"),
    ("rules", int, "when", "key"),
    ("rules", int, "when", "mobile"),
)
_RULE_SECRET_FIELDS: _Fields = (("when", "key"), ("when", "mobile"))
#: Fields that are secret themselves when they are not the object they should be (a key
#: where ``keys`` or ``keys.per_key`` should be); what is inside them is judged field by field.
_SECRET_PLACES = (["keys"], ["keys", "per_key"])


def _holds_secrets(trail: list[str | int], fields: _Fields) -> bool:
    if trail in _SECRET_PLACES and fields is _SECRET_FIELDS:
        return True
    for field in fields:
        head = trail[: len(field)]
        if len(head) == len(field) and all(
            isinstance(step, int) if want is int else step == want
            for want, step in zip(field, head, strict=True)
        ):
            return True
    return False


def _message(error: ValidationError, trail: list[str | int], fields: _Fields) -> str:
    """jsonschema's message, unless it would repeat a value that may hold a secret."""
    message: str = error.message
    instance: Any = error.instance
    secret = _holds_secrets(trail, fields)
    if not (secret or isinstance(instance, (dict, list))):
        return message
    if error.validator == "additionalProperties" and secret:
        known = ", ".join(error.schema.get("properties", {}))
        return f"holds a property it does not know (it takes: {known})"
    shown = repr(instance)
    kinds: dict[type, str] = {dict: "the object", list: "the list"}
    kind = kinds.get(type(instance), "the value")
    return message.replace(shown, kind)  # messages that do not show it name fields only


def _check(validator: Draft202012Validator, data: Any, source: str, fields: _Fields) -> None:
    """Schema-check ``data``, or raise the :class:`ConfigError` that best says what is wrong."""
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(data))
    if error is not None:
        trail = list(error.absolute_path)
        raise ConfigError(source, json_path(trail), _message(error, trail, fields))


def validate_document(data: Any, source: str) -> CompiledDocument:
    """``data`` checked against the schema and compiled (once: keep what this returns).

    :raises ConfigError: unless ``data`` is a valid scenario document.
    """
    try:
        data = plain(data, source)
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, list) and len(rules) > MAX_RULES:  # before the schema walks them
            why = f"{len(rules):,} rules; a scenario holds at most {MAX_RULES:,}"
            raise ConfigError(source, "$.rules", why)
        _check(_validator(), data, source, _SECRET_FIELDS)
        return compile_document(data, source)
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None


def validate_rule(data: Any, source: str) -> Rule:
    """One rule checked and compiled (at place 0; see ``compile.place_rule``).

    :raises ConfigError: unless ``data`` is one valid rule.
    """
    try:
        data = plain(data, source)
        _check(_rule_validator(), data, source, _RULE_SECRET_FIELDS)
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
