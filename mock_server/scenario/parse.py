"""Scenario text to plain data, safely and within bounds, in time linear in its size.

JSON is parsed as JSON (Python's parser: surrogate pairs joined, ``1e-1`` a number, a
duplicated key refused); YAML only for ``.yaml``/``.yml`` files and for text that is not
JSON. YAML is read with the safe tags only (null, bool, int, float, str, list, map; dates
stay text, so a bad date is a field error rather than a parser crash; a duplicated key is
refused), libyaml's parser when PyYAML has it (ten times faster), and a document
whose aliases would expand it past :data:`MAX_VALUES` values (a "billion laughs") is
refused before it is built. Numbers of more than :data:`MAX_NUMBER_CHARS` characters are
refused whatever parses them.

:func:`plain` then walks the data once, from any source (parsed text, an admin request's
JSON, a Python dict), and refuses what the schema cannot see: NaN and infinities, lone
surrogates, values that are not JSON, nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_VALUES` values. Every refusal is a :class:`ConfigError` naming the field; a
key of ``keys.per_key`` is named by its fingerprint, never spelled out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from contract.keys import key_fingerprint

from .errors import TOO_DEEP, ConfigError, member_path

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_NUMBER_CHARS",
    "MAX_VALUES",
    "json_path",
    "parse_json",
    "parse_text",
    "plain",
]

#: The largest scenario text (a file, or the admin API's body within its own limit).
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: The most values (objects, lists, strings, numbers...) one document may hold, counted
#: after YAML aliases are expanded. 10,000 rules take about 100,000.
MAX_VALUES = 250_000
#: How deep a document may nest; a scenario needs 6 levels, a raw fault's ``json`` more.
MAX_DEPTH = 64
#: The longest number, in characters: more than any bound of the schema needs (a seed is
#: at most 19 digits); a 5,000-digit integer would otherwise take Python's int() a while,
#: or raise past its own limit.
MAX_NUMBER_CHARS = 40

_TOO_MANY = f"holds more than {MAX_VALUES:,} values, the most a scenario document may"


class _TooLong:
    """What a parser leaves where a number was too long; :func:`plain` names its field."""

    __slots__ = ("chars",)

    def __init__(self, chars: int) -> None:
        self.chars = chars


class _Duplicated(dict):  # type: ignore[type-arg]
    """A JSON object that had a key twice; :func:`plain` names the field."""

    duplicate = ""


def _number_text(text: str, convert: Any) -> Any:
    return convert(text) if len(text) <= MAX_NUMBER_CHARS else _TooLong(len(text))


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    twice = _Duplicated(made)
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            twice.duplicate = name
            break
        seen.add(name)
    return twice


def parse_json(text: str | bytes, source: str) -> Any:
    """JSON text to data (not yet checked by :func:`plain`).

    :raises ConfigError: for text that is not JSON, with its line and column.
    """
    try:
        return json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=lambda t: _number_text(t, int),
            parse_float=lambda t: _number_text(t, float),
        )
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ConfigError(source, where, f"not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "$", f"not UTF-8 text (byte {exc.start})") from None


# --- YAML, the safe tags only ------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_KEPT = ("null", "bool", "int", "float", "str", "seq", "map")


# PyYAML is imported when the first YAML text is read, not at start: the built-in default
# is JSON (``default.json``), and an import of yaml and the loader's set-up cost ~15 ms of
# a start that has no scenario file.
@lru_cache(maxsize=1)
def _loader_class() -> Any:
    """PyYAML's safe loader (libyaml's when installed) with the JSON types only and bounded
    numbers."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[misc]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _TAG + "merge":
                    if key.value in seen:
                        # The key is not shown: it may be an API key (keys.per_key).
                        raise yaml.constructor.ConstructorError(
                            None, None, "a mapping has the same key twice", key.start_mark
                        )
                    seen.add(key.value)
            return super().construct_mapping(node, deep)

    safe = yaml.constructor.SafeConstructor

    def bounded(kind: str) -> Any:
        original = safe.yaml_constructors[_TAG + kind]

        def construct(loader: Any, node: Any) -> Any:
            if len(node.value) > MAX_NUMBER_CHARS:
                return _TooLong(len(node.value))
            return original(loader, node)

        return construct

    _Loader.yaml_constructors = {
        **{_TAG + kind: safe.yaml_constructors[_TAG + kind] for kind in _KEPT},
        _TAG + "int": bounded("int"),
        _TAG + "float": bounded("float"),
        None: safe.construct_undefined,  # any other tag: "could not determine a constructor"
    }
    # Dates stay text: the schema wants text, and ``2024-13-45`` then fails as a field, not
    # as a parser crash. Everything else resolves as YAML 1.1 says (``1e-1`` with no dot is
    # text there, as every YAML writer expects; JSON files are parsed as JSON).
    _Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TAG + "timestamp"]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }
    return _Loader


def _expanded_size(root: Any, source: str) -> None:
    """Refuse a node graph whose aliases would expand it past :data:`MAX_VALUES` values.

    Each node's expanded size is computed once (aliases share nodes), so this is linear in
    the text even for a billion laughs.
    """
    import yaml

    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [part for pair in node.value for part in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        # A child still missing is an ancestor (a recursive alias): count it once.
        size = 1 + sum(sizes.get(id(child), 1) for child in children)
        if size > MAX_VALUES:
            mark = node.start_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}"
            why = f"with its aliases expanded, the document {_TOO_MANY}"
            raise ConfigError(source, where, why)
        sizes[id(node)] = size


def parse_yaml(text: str, source: str) -> Any:
    """YAML text to data (safe tags only; not yet checked by :func:`plain`)."""
    import yaml

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text:  # only an alias (``*name``) can share a node
            _expanded_size(node, source)
        return loader.construct_document(node)
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        if "nesting depth" in problem:
            raise ConfigError(source, "$", TOO_DEEP) from None
        mark = getattr(exc, "problem_mark", None)
        where = _where(text, mark.line, mark.column) if mark else "$"
        raise ConfigError(source, where, f"not valid YAML or JSON: {problem}") from None
    finally:
        loader.dispose()


def _where(text: str, line: int, column: int) -> str:
    """``line L, column C`` (from 1); libyaml puts an error at the end of a text with no
    final line break on the line after it, which the text does not have."""
    lines = text.split("\n")
    if line >= len(lines):
        line, column = len(lines) - 1, len(lines[-1])
    return f"line {line + 1}, column {column + 1}"


def parse_text(text: str, source: str, kind: str | None = None) -> Any:
    """Scenario text to data: ``kind`` ``"json"`` or ``"yaml"``, or None to read it as
    JSON when it is JSON and as YAML otherwise. Empty text is an empty document.

    :raises ConfigError: for text over :data:`MAX_DOCUMENT_BYTES` or that does not parse.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        why = f"{size:,} bytes; a scenario document is at most {MAX_DOCUMENT_BYTES:,} bytes"
        raise ConfigError(source, "$", why)
    if not text.strip():
        return {}
    if kind == "json":
        return parse_json(text, source)
    if kind is None and text.lstrip()[:1] in ("{", "["):
        try:
            return parse_json(text, source)
        except ConfigError as error:
            if error.why == TOO_DEEP:
                raise
    return parse_yaml(text, source)


# --- one walk over the data ----------------------------------------------------------------


def json_path(trail: list[str | int]) -> str:
    """The JSON path of ``trail`` (names and indices from the root), as jsonschema writes
    it, with a ``keys.per_key`` name shown as its fingerprint."""
    steps = ["$"]
    for depth, step in enumerate(trail):
        if isinstance(step, int):
            steps.append(f"[{step}]")
        elif depth == 2 and trail[0] == "keys" and trail[1] == "per_key":
            steps.append(f"[<fingerprint {key_fingerprint(step)}>]")
        else:
            steps.append(member_path(step))
    return "".join(steps)


def plain(data: Any, source: str) -> Any:
    """``data`` as plain JSON values (dicts with text keys, lists, text, numbers, bools,
    None), checked once, in time linear in its size.

    :raises ConfigError: for what no scenario document can hold (see the module docstring).
    """
    budget = [MAX_VALUES]
    return _plain(data, [], budget, source)


def _plain(value: Any, trail: list[str | int], budget: list[int], source: str) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(source, "$", _TOO_MANY)
    kind = type(value)
    if kind is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ConfigError(
                    source, json_path(trail), "not valid Unicode text (a lone surrogate)"
                ) from None
        return value
    if value is None or kind is bool:
        return value
    if kind is int:
        if value.bit_length() > 4 * MAX_NUMBER_CHARS:
            why = f"a number longer than {MAX_NUMBER_CHARS} digits"
            raise ConfigError(source, json_path(trail), why)
        return value
    if kind is float:
        if not math.isfinite(value):
            why = "must be a finite number (not NaN or infinity)"
            raise ConfigError(source, json_path(trail), why)
        return value
    if kind is _TooLong:
        why = f"a number of {value.chars:,} characters; at most {MAX_NUMBER_CHARS}"
        raise ConfigError(source, json_path(trail), why)
    if isinstance(value, (Mapping, list)):
        if len(trail) >= MAX_DEPTH:
            raise ConfigError(source, json_path(trail), TOO_DEEP)
        if isinstance(value, list):
            return [_plain(item, [*trail, i], budget, source) for i, item in enumerate(value)]
        if isinstance(value, _Duplicated):
            named = json_path([*trail, value.duplicate])
            raise ConfigError(source, named, "this key appears twice in its object")
        out: dict[str, Any] = {}
        for name, item in value.items():
            text = name if type(name) is str else str(name)  # YAML: `5: 1` is the key "5"
            out[text] = _plain(item, [*trail, text], budget, source)
        return out
    if isinstance(value, (datetime, date)):  # a Python document's dates: ISO text
        return value.isoformat()
    if isinstance(value, (int, float)):  # bool excepted above; int and float subclasses
        number = float(value) if isinstance(value, float) else int(value)
        return _plain(number, trail, budget, source)
    why = f"not a JSON value ({type(value).__name__})"
    raise ConfigError(source, json_path(trail), why)
