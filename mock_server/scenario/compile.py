"""Compiling a scenario document into plain objects the engine can use per request.

:func:`compile_scenario` turns a schema-valid document into a :class:`Scenario` (its rules
and platform models) once, so that nothing per request parses or compiles. What the schema
cannot say (a window that ends before it starts, an IP that is not one, a fault given an
answer) is refused here as a :class:`ConfigError` naming the source, the JSON path of the
bad field and why. :mod:`mock_server.scenario.document` reads, validates and merges documents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

from contract import (
    ERROR_CODES,
    JSON_CONTENT_TYPE,
    TENURE_CODES,
    is_mobile_sha256,
    mobile_sha256,
)
from contract.bodies import wire_json
from contract.clock import BEIJING

from .errors import ConfigError
from .model import (
    Fault,
    FaultKind,
    IpMatcher,
    KeySettings,
    Outcome,
    Platform,
    RateLimit,
    Rule,
    Scenario,
    Selectors,
    Window,
)
from .parse import json_path
from .replay import Replayed, load_replays

#: A raw fault's ``text`` goes out as this unless its ``content_type`` says otherwise.
TEXT_CONTENT_TYPE = "text/plain;charset=utf-8"

__all__ = [
    "TEXT_CONTENT_TYPE",
    "CompiledDocument",
    "assemble",
    "compile_document",
    "compile_rule",
    "compile_scenario",
    "rule_digest",
]


def _moment(text: str, source: str, path: str) -> datetime:
    # "Z" for UTC, as YAML and JSON writers put it (Python 3.10's parser wants "+00:00").
    spelled = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        parsed = datetime.fromisoformat(spelled)
    except ValueError:
        raise ConfigError(source, path, f"{text!r} is not an ISO 8601 date-time") from None
    moment = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=BEIJING)
    try:
        moment.timestamp()  # year 1 at +08:00 is before year 1 in UTC: no time at all
    except (OverflowError, ValueError, OSError):
        raise ConfigError(source, path, f"{text!r} is out of range") from None
    return moment


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
        payload = wire_json(doc["json"])
        default_type = JSON_CONTENT_TYPE
    else:
        payload = doc["text"].encode("utf-8")
        default_type = TEXT_CONTENT_TYPE
    return payload, doc.get("content_type", default_type)


def _outcome(doc: Mapping[str, Any], source: str, path: str) -> Outcome:
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
            status=int(doc.get("status", 200)),  # JSON's 200.0 is an integer to the schema
            body=doc.get("body", "html"),
            chunk=int(doc.get("chunk", 1)),
            interval=float(doc.get("interval", 0.05)),
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
        digest=digest,
        when=selectors,
        probability=doc.get("probability"),
        times=int(doc["times"]) if "times" in doc else None,
        outcomes=outcomes,
        is_sequence="sequence" in doc,
        cycle=doc.get("cycle", False),
    )


def _platform(doc: Mapping[str, Any], source: str) -> Platform:
    keys = doc.get("keys", {})
    per_key = {}
    for key, settings in keys.get("per_key", {}).items():
        path = json_path(["keys", "per_key", key])  # the key's fingerprint, not the key
        expires = settings.get("expires")
        quota = settings.get("quota")
        per_key[key] = KeySettings(
            error=settings.get("error"),
            expires=_moment(expires, source, f"{path}.expires") if expires else None,
            quota=int(quota) if quota is not None else None,
            trial=settings.get("trial", False),
        )
    ips = doc.get("ips", {})
    rate = ips.get("rate")
    return Platform(
        allow=frozenset(keys["allow"]) if "allow" in keys else None,
        keys=per_key,
        default_quota=int(keys["quota"]) if "quota" in keys else None,
        quota_window_s=float(keys.get("quota_window_s", 86400.0)),
        banned_ips=_ips(ips.get("banned", []), source, "$.ips.banned"),
        sources=_ips(ips["sources"], source, "$.ips.sources") if "sources" in ips else None,
        rate=RateLimit(int(rate["limit"]), float(rate.get("window_s", 1.0))) if rate else None,
        maintenance=tuple(
            _window(w, source, f"$.maintenance[{i}]")
            for i, w in enumerate(doc.get("maintenance", []))
        ),
        internal_errors=doc.get("internal_errors", 0.0),
    )


def rule_digest(rule: Mapping[str, Any]) -> str:
    """The digest that keys a rule's counters, with its place: the same rule keeps counting
    across reconfiguration (and across workers), a changed one starts afresh."""
    return hashlib.sha256(json.dumps(rule, sort_keys=True).encode()).hexdigest()[:12]


def _rules(docs: Sequence[Mapping[str, Any]], source: str) -> tuple[Rule, ...]:
    return tuple(
        compile_rule(r, i, rule_digest(r), source, f"$.rules[{i}]") for i, r in enumerate(docs)
    )


def place_rule(rule: Rule, raw: Mapping[str, Any], index: int) -> Rule:
    """``rule`` (compiled from ``raw``) at ``index`` of a merged scenario: its default name
    and its counters follow its place there, as if the merged document had been compiled."""
    counter = f"rule:{rule.digest}:{index}"
    if counter == rule.counter:
        return rule
    return replace(rule, name=raw.get("name", f"rule-{index}"), counter=counter)


def _weights(default: Mapping[str, Any], source: str) -> tuple[tuple[str, float], ...]:
    weights = default.get("weights") or {code: 1 for code in TENURE_CODES}
    total = float(sum(weights.values()))
    if total <= 0:
        raise ConfigError(source, "$.default.weights", "the weights add up to zero")
    cumulative, running = [], 0.0
    for code in TENURE_CODES:
        if weights.get(code, 0) > 0:
            running += weights[code] / total
            cumulative.append((code, running))
    return tuple(cumulative)


def _scenario(
    doc: Mapping[str, Any],
    rules: tuple[Rule, ...],
    seed: int | None,
    source: str,
    replay: Mapping[str, Replayed],
) -> Scenario:
    default = doc.get("default", {})
    return Scenario(
        document=doc,
        seed=seed if seed is not None else int(doc.get("seed", 0)),
        default_no_record=default.get("answer", "tenure") == "no_record",
        weights=_weights(default, source),
        platform=_platform(doc, source),
        rules=rules,
        replay=replay,
    )


def compile_scenario(
    doc: Mapping[str, Any], *, seed: int | None = None, source: str = "<scenario>"
) -> Scenario:
    """Compile a schema-valid document; ``seed`` (e.g. ``--seed``) overrides its own."""
    replay = load_replays(doc.get("replay", []), source)
    return _scenario(doc, _rules(doc.get("rules", []), source), seed, source, replay)


@dataclass(frozen=True)
class CompiledDocument:
    """One schema-valid document that compiled: its rules, compiled at their places in it.

    Compiling is what proves a document usable (the schema cannot say everything), so a
    document is compiled once, when it is read; merging documents then reuses their rules
    (:func:`assemble`) instead of compiling them again.
    """

    document: Mapping[str, Any]
    rules: tuple[Rule, ...]
    #: The answers of the recordings its ``replay`` names, read when it is compiled.
    replay: Mapping[str, Replayed] = field(default_factory=dict)


def compile_document(doc: Mapping[str, Any], source: str) -> CompiledDocument:
    """:raises ConfigError: for what the schema lets through but the mock cannot use (a
    ``replay`` recording that is missing or unreadable, or holds a key or a number, too)."""
    rules = _rules(doc.get("rules", []), source)
    _weights(doc.get("default", {}), source)
    _platform(doc, source)
    return CompiledDocument(doc, rules, load_replays(doc.get("replay", []), source))


def assemble(
    merged: Mapping[str, Any],
    parts: Sequence[CompiledDocument],
    *,
    seed: int | None = None,
    source: str = "merged scenario",
) -> Scenario:
    """The scenario of ``merged`` (:func:`~mock_server.scenario.document.merge_documents` of
    the ``parts``' documents, in order), its rules taken from the parts, not compiled again.
    The platform and the default are derived afresh from ``merged``: a few fields, no rules.
    """
    rules: list[Rule] = []
    replay: dict[str, Replayed] = {}
    for part in parts:
        for raw, rule in zip(part.document.get("rules", []), part.rules, strict=True):
            rules.append(place_rule(rule, raw, len(rules)))
        replay.update(part.replay)  # a later document's recording wins for a hash
    return _scenario(merged, tuple(rules), seed, source, replay)
