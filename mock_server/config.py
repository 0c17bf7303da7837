"""Scenario documents: loading (YAML or JSON), validating, merging and compiling.

A document is checked against :data:`mock_server.schema.SCENARIO_SCHEMA`, then compiled
into :class:`Scenario` (rules and platform models) once, so that nothing per request
parses, compiles or reads a file. Every problem is a :class:`ConfigError` naming the
source, the JSON path of the bad field and why.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from contract import TENURE_CODES, is_mobile_sha256, mobile_sha256

from .models import (
    BEIJING,
    Fault,
    FaultKind,
    IpMatcher,
    KeySettings,
    Outcome,
    Platform,
    RateLimit,
    Window,
)
from .schema import RULE_SCHEMA, SCENARIO_SCHEMA

__all__ = [
    "ConfigError",
    "Rule",
    "Scenario",
    "compile_rule",
    "compile_scenario",
    "default_document",
    "load_document",
    "load_documents",
    "merge_documents",
    "validate_document",
]

_VALIDATOR = Draft202012Validator(SCENARIO_SCHEMA)
_RULE_VALIDATOR = Draft202012Validator(RULE_SCHEMA)
#: Why a document that nests deeper than the parser or validator can follow is refused.
TOO_DEEP = "nested too deeply to be a scenario document"
# Under these names a later document replaces the earlier value instead of merging into it.
_REPLACED = frozenset({"weights", "rate", "default_answer"})


class ConfigError(ValueError):
    """A scenario document that cannot be used: where, which field and why."""

    def __init__(self, source: str, path: str, why: str) -> None:
        super().__init__(f"{source}: {path}: {why}")
        self.source = source
        self.path = path
        self.why = why


@dataclass(frozen=True)
class Selectors:
    """A rule's ``when``: every given selector must match."""

    keys: frozenset[str] | None = None
    mobiles: frozenset[str] | None = None  # lowercase sha256
    ips: IpMatcher | None = None
    methods: frozenset[str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    window: Window | None = None


@dataclass(frozen=True)
class Rule:
    """One scenario rule, compiled."""

    name: str
    counter: str  # the store key prefix of this rule's counters
    when: Selectors
    probability: float | None
    times: int | None
    outcomes: tuple[Outcome, ...]  # one for ``then``; the list for ``sequence``
    is_sequence: bool
    cycle: bool


@dataclass(frozen=True)
class Scenario:
    """A whole compiled scenario document."""

    document: Mapping[str, Any]
    seed: int
    default_no_record: bool
    weights: tuple[tuple[str, float], ...]  # cumulative, for the deterministic default
    platform: Platform
    rules: tuple[Rule, ...]


# --- loading ------------------------------------------------------------------------------


def load_document(path: str | Path) -> dict[str, Any]:
    """Read one scenario file (YAML or JSON); :raises ConfigError: if unreadable or invalid."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "$", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(source, "$", "a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "$", f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(source, "$", f"cannot read it: {exc.strerror or exc}") from None
    return parse_document(text, source)


def parse_document(text: str, source: str) -> dict[str, Any]:
    """Parse YAML (which includes JSON) and validate it."""
    try:
        data = _plain(yaml.safe_load(text)) if text.strip() else {}
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "$"
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        raise ConfigError(source, where, f"not valid YAML or JSON: {problem}") from None
    validate_document(data, source)
    document: dict[str, Any] = data  # the schema has checked that it is an object
    return document


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
    text = resources.files("mock_server").joinpath("default_scenarios.yaml").read_text("utf-8")
    return parse_document(text, "mock_server/default_scenarios.yaml")


def _non_finite(value: Any, path: str = "$") -> str | None:
    """The JSON path of the first NaN or infinity in ``value``, if any.

    JSON (``NaN``, as Python's parser reads it) and YAML (``.nan``, ``.inf``) both let them
    through, and the schema's bounds cannot stop a NaN, which compares false to everything:
    a ``window_s`` or ``latency`` of NaN passed validation and made every request a 500.
    """
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = ((_member(str(k)), v) for k, v in value.items())
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
    where = _non_finite(data)
    if where is not None:
        raise ConfigError(source, where, "must be a finite number (not NaN or infinity)")
    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise ConfigError(source, str(error.json_path), error.message)


def validate_document(data: Any, source: str) -> None:
    """:raises ConfigError: unless ``data`` is a valid scenario document."""
    try:
        _check(_VALIDATOR, data, source)
        compile_scenario(data, source=source)
    except RecursionError:
        raise ConfigError(source, "$", TOO_DEEP) from None


def validate_rule(data: Any, source: str) -> None:
    """:raises ConfigError: unless ``data`` is one valid rule."""
    try:
        _check(_RULE_VALIDATOR, data, source)
        compile_rule(data, 0, "check", source, "$")
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


# --- compiling ----------------------------------------------------------------------------


def _member(name: str) -> str:
    # The JSON path of a member, written as jsonschema writes it, so both kinds of error agree.
    return f".{name}" if name.isidentifier() else f"[{name!r}]"


def _moment(text: str, source: str, path: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(source, path, f"{text!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=BEIJING)


def _of_day(text: str) -> int:
    t = time.fromisoformat(text)
    return t.hour * 3600 + t.minute * 60 + t.second


def _window(doc: Mapping[str, Any], source: str, path: str) -> Window:
    start = _moment(doc["start"], source, f"{path}.start") if "start" in doc else None
    end = _moment(doc["end"], source, f"{path}.end") if "end" in doc else None
    if start is not None and end is not None and end <= start:
        raise ConfigError(source, f"{path}.end", "the window ends before it starts")
    daily = "daily_start" in doc
    return Window(
        start,
        end,
        _of_day(doc["daily_start"]) if daily else None,
        _of_day(doc["daily_end"]) if daily else None,
    )


def _ips(entries: list[str], source: str, path: str) -> IpMatcher:
    for i, entry in enumerate(entries):
        try:
            IpMatcher([entry])
        except ValueError:
            raise ConfigError(
                source, f"{path}[{i}]", f"{entry!r} is not an IP or network"
            ) from None
    return IpMatcher(entries)


def _many(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _mobiles(value: str | list[str], source: str, path: str) -> frozenset[str]:
    hashes = set()
    for entry in _many(value):
        if is_mobile_sha256(entry):
            hashes.add(entry.lower())
            continue
        try:
            hashes.add(mobile_sha256(entry))
        except ValueError:
            why = "neither a mainland mobile number nor a 64-hex sha256"
            raise ConfigError(source, path, why) from None
    return frozenset(hashes)


def _raw_body(doc: Mapping[str, Any], kind: FaultKind, source: str, path: str) -> tuple[bytes, str]:
    """The bytes and Content-Type of a ``raw`` fault: exactly one of ``json`` and ``text``."""
    given = [name for name in ("json", "text") if name in doc]
    if kind is not FaultKind.RAW:
        extra = [*given, *(["content_type"] if "content_type" in doc else [])]
        if extra:
            raise ConfigError(source, f"{path}.{extra[0]}", "only a 'raw' fault takes it")
        return b"", ""
    if len(given) != 1:
        raise ConfigError(source, f"{path}.fault", "a 'raw' fault needs exactly one of json, text")
    if given == ["json"]:
        payload = json.dumps(doc["json"], ensure_ascii=False, separators=(",", ":")).encode()
        default_type = "application/json;charset=utf-8"
    else:
        payload = doc["text"].encode("utf-8")
        default_type = "text/plain;charset=utf-8"
    return payload, doc.get("content_type", default_type)


def _outcome(doc: Mapping[str, Any], source: str, path: str) -> Outcome:
    from contract import ERROR_CODES

    fault = None
    if "fault" in doc:
        kind = FaultKind(doc["fault"])
        if kind.replaces_answer and ("tenure" in doc or "error" in doc):
            why = f"a {kind.value!r} fault replaces the answer; drop tenure/error"
            raise ConfigError(source, f"{path}.fault", why)
        if kind is FaultKind.STATUS and "status" not in doc:
            raise ConfigError(source, f"{path}.status", "a 'status' fault needs a status")
        payload, content_type = _raw_body(doc, kind, source, path)
        fault = Fault(
            kind,
            status=doc.get("status", 200),
            body=doc.get("body", "html"),
            chunk=doc.get("chunk", 1),
            interval=doc.get("interval", 0.05),
            payload=payload,
            content_type=content_type,
        )
    error = doc.get("error")
    if "detail" in doc and error is not None and not ERROR_CODES[error].takes_detail:
        raise ConfigError(source, f"{path}.detail", f"error {error} takes no detail")
    latency = doc.get("latency")
    span: tuple[float, float] | None = None
    if latency is not None:
        if isinstance(latency, (int, float)):
            span = (float(latency), float(latency))
        else:
            span = (float(latency[0]), float(latency[1]))
        if span[0] > span[1]:
            raise ConfigError(
                source, f"{path}.latency", "the range's low end is above its high end"
            )
    return Outcome(
        tenure=doc.get("tenure"),
        error=error,
        reason=doc.get("reason"),
        detail=doc.get("detail"),
        fault=fault,
        latency=span,
    )


def compile_rule(doc: Mapping[str, Any], index: int, digest: str, source: str, where: str) -> Rule:
    """Compile one (schema-valid) rule; ``source`` and ``where`` (a path) name it in errors."""
    when = doc.get("when", {})
    wpath = f"{where}.when"
    selectors = Selectors(
        keys=frozenset(_many(when["key"])) if "key" in when else None,
        mobiles=_mobiles(when["mobile"], source, f"{wpath}.mobile") if "mobile" in when else None,
        ips=_ips(_many(when["ip"]), source, f"{wpath}.ip") if "ip" in when else None,
        methods=frozenset(_many(when["method"])) if "method" in when else None,
        headers=tuple((k, v) for k, v in when.get("header", {}).items()),
        window=_window(when["window"], source, f"{wpath}.window") if "window" in when else None,
    )
    if "sequence" in doc:
        outcomes = tuple(
            _outcome(o, source, f"{where}.sequence[{i}]") for i, o in enumerate(doc["sequence"])
        )
    else:
        outcomes = (_outcome(doc["then"], source, f"{where}.then"),)
    return Rule(
        name=doc.get("name", f"rule-{index}"),
        counter=f"rule:{digest}:{index}",
        when=selectors,
        probability=doc.get("probability"),
        times=doc.get("times"),
        outcomes=outcomes,
        is_sequence="sequence" in doc,
        cycle=doc.get("cycle", False),
    )


def _platform(doc: Mapping[str, Any], source: str) -> Platform:
    keys = doc.get("keys", {})
    per_key = {}
    for key, settings in keys.get("per_key", {}).items():
        path = f"$.keys.per_key{_member(key)}"
        expires = settings.get("expires")
        per_key[key] = KeySettings(
            error=settings.get("error"),
            expires=_moment(expires, source, f"{path}.expires") if expires else None,
            quota=settings.get("quota"),
            trial=settings.get("trial", False),
        )
    ips = doc.get("ips", {})
    rate = ips.get("rate")
    return Platform(
        allow=frozenset(keys["allow"]) if "allow" in keys else None,
        keys=per_key,
        default_quota=keys.get("quota"),
        banned_ips=_ips(ips.get("banned", []), source, "$.ips.banned"),
        sources=_ips(ips["sources"], source, "$.ips.sources") if "sources" in ips else None,
        rate=RateLimit(rate["limit"], rate.get("window_s", 1.0)) if rate else None,
        maintenance=tuple(
            _window(w, source, f"$.maintenance[{i}]")
            for i, w in enumerate(doc.get("maintenance", []))
        ),
        internal_errors=doc.get("internal_errors", 0.0),
    )


def _digest(rule: Mapping[str, Any]) -> str:
    # A rule's counters are keyed by its content and place: the same rule keeps counting
    # across reconfiguration (and across workers), a changed one starts afresh.
    return hashlib.sha256(json.dumps(rule, sort_keys=True).encode()).hexdigest()[:12]


def compile_scenario(
    doc: Mapping[str, Any], *, seed: int | None = None, source: str = "<scenario>"
) -> Scenario:
    """Compile a schema-valid document; ``seed`` (e.g. ``--seed``) overrides its own."""
    default = doc.get("default", {})
    weights = default.get("weights") or {code: 1 for code in TENURE_CODES}
    total = float(sum(weights.values()))
    if total <= 0:
        raise ConfigError(source, "$.default.weights", "the weights add up to zero")
    cumulative, running = [], 0.0
    for code in TENURE_CODES:
        if weights.get(code, 0) > 0:
            running += weights[code] / total
            cumulative.append((code, running))
    rules = tuple(
        compile_rule(r, i, _digest(r), source, f"$.rules[{i}]")
        for i, r in enumerate(doc.get("rules", []))
    )
    return Scenario(
        document=doc,
        seed=seed if seed is not None else doc.get("seed", 0),
        default_no_record=default.get("answer", "tenure") == "no_record",
        weights=tuple(cumulative),
        platform=_platform(doc, source),
        rules=rules,
    )
