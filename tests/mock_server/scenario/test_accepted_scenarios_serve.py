"""A property: every scenario document the validator accepts, served, answers without a 5xx.

The documents are drawn from the scenario's own JSON Schema (every field, its enums and
its bounds, edges included); hypothesis-jsonschema, made for this, no longer runs on the
Hypothesis this project pins, so a small walker over the keywords the schema uses does it
here. Values whose meaning the schema cannot say (addresses, date-times, hashes) come from
small pools, and an outcome's fields are made consistent the way the compiler demands, so
that most drawn documents are accepted; the rest are set aside, not judged. Each accepted
document is then served through ``create_app``'s WSGI callable (both doors) and through the
admin API: no request may get a 5xx the document did not ask for, a header no server could
send, a traceback, or (when no fault applies) a body that breaks the contract.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contract import ERROR_CODES, MAGIC_NUMBERS, PATH, mobile_sha256
from contract.validate import validate
from mock_server.scenario.document import validate_document
from mock_server.scenario.errors import ConfigError
from mock_server.scenario.schema import SCENARIO_SCHEMA
from mock_server.web.app import create_app, runtime_of
from mock_server.web.faults import DropConnection

KEYS = ["k1", "k2", "trial-k"]
PHONES = sorted(MAGIC_NUMBERS)[:6]
HASHES = [mobile_sha256(p) for p in PHONES]
IPS = ["127.0.0.1", "10.0.0.0/8", "::1", "::ffff:127.0.0.1", "203.0.113.9", "2001:db8::/32"]
MOMENTS = st.one_of(
    st.sampled_from(["2024-06-01", "2020-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00",
                     "9999-12-31T23:59:59-12:00", "2030-02-03T04:05:06.789+05:30"]),
    st.datetimes().map(lambda d: d.isoformat()),
)  # fmt: skip


def _one_or_many(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, min_size=1, max_size=3))


#: What the schema says only in words: drawn from pools, by property name.
OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "key": _one_or_many(st.sampled_from(KEYS)),
    "mobile": _one_or_many(st.sampled_from(PHONES + HASHES)),
    "ip": _one_or_many(st.sampled_from(IPS)),
    "banned": st.lists(st.sampled_from(IPS), max_size=3),
    "sources": st.lists(st.sampled_from(IPS), max_size=3),
    "allow": st.lists(st.sampled_from(KEYS), max_size=3),
    "start": MOMENTS,
    "end": MOMENTS,
    "expires": MOMENTS,
    "header": st.dictionaries(st.sampled_from(["X-Test", "User-Agent"]), st.text(max_size=8),
                              min_size=1, max_size=2),
    "json": st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=9)
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    ),
}  # fmt: skip


def from_schema(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """Values valid under ``schema`` (the keywords the scenario schema uses)."""
    if name in OVERRIDES:
        return OVERRIDES[name]
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "oneOf" in schema and "type" not in schema:
        return st.one_of([from_schema(branch, name) for branch in schema["oneOf"]])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, name)
    if kind == "array":
        return st.lists(
            from_schema(schema["items"]),
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 3), 3),
        )
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: len(s) <= schema.get("maxLength", 10**6)
            )
        longest = min(schema.get("maxLength", 12), 12)
        return st.text(min_size=schema.get("minLength", 0), max_size=longest)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        low, high = schema.get("minimum", schema.get("exclusiveMinimum")), schema.get("maximum")
        floats = st.floats(low, high, allow_nan=False, allow_infinity=False,
                           exclude_min="exclusiveMinimum" in schema)  # fmt: skip
        if "exclusiveMinimum" in schema or (low is not None and low != int(low)):
            return floats
        return st.one_of(st.integers(low, None if high is None else int(high)), floats)
    if kind == "boolean":
        return st.booleans()
    return st.nothing()


def _object(schema: dict[str, Any], name: str) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    required = [set(b["required"]) for b in schema.get("oneOf", []) if set(b) == {"required"}]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        chosen = {p for p in properties if draw(st.booleans())} | set(schema.get("required", []))
        if required:  # exactly one of these alternatives
            pick = draw(st.sampled_from(required))
            chosen = (chosen - set().union(*required)) | pick
        out = {p: draw(from_schema(properties[p], p)) for p in sorted(chosen)}
        if isinstance(extra, dict):
            names = st.sampled_from(KEYS) if name == "per_key" else st.text(max_size=6)
            if "propertyNames" in schema:
                names = st.sampled_from(schema["propertyNames"]["enum"])
            size = schema.get("minProperties", 0)
            out.update(draw(st.dictionaries(names, from_schema(extra), min_size=size, max_size=3)))
        banned = schema.get("not", {}).get("required")
        if banned and set(banned) <= set(out):
            del out[banned[-1]]
        for field, needs in schema.get("dependentRequired", {}).items():
            if field in out and not set(needs) <= set(out):
                del out[field]
        assume(len(out) >= schema.get("minProperties", 0))
        return out

    return build()


def _consistent(outcome: dict[str, Any]) -> dict[str, Any]:
    """An outcome with the compiler's own rules applied (so that most are accepted)."""
    fault = outcome.get("fault")
    if fault in ("status", "drop", "raw"):
        for field in ("tenure", "error", "reason", "detail"):
            outcome.pop(field, None)
    if fault == "status":
        outcome.setdefault("status", 503)
    if fault == "raw":
        if "json" in outcome and "text" in outcome:
            del outcome["json"]
        elif "json" not in outcome and "text" not in outcome:
            outcome["text"] = ""
    else:
        for field in ("json", "text", "content_type"):
            outcome.pop(field, None)
    error = outcome.get("error")
    if error is not None and not ERROR_CODES[error].takes_detail:
        outcome.pop("detail", None)
    if isinstance(outcome.get("latency"), list):
        outcome["latency"] = sorted(outcome["latency"])
    return outcome


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = draw(from_schema(SCENARIO_SCHEMA))
    for rule in doc.get("rules", []):
        for outcome in [rule.get("then"), *rule.get("sequence", [])]:
            if outcome is not None:
                _consistent(outcome)
    return doc


def _faults(doc: dict[str, Any]) -> tuple[set[int], bool]:
    """The statuses the document's faults may answer with, and whether it drops."""
    statuses, drops = set(), False
    for rule in doc.get("rules", []):
        for outcome in [rule.get("then"), *rule.get("sequence", [])]:
            if outcome and outcome.get("fault") in ("status", "raw"):
                statuses.add(int(outcome.get("status", 200)))
            drops = drops or bool(outcome and outcome.get("fault") == "drop")
    return statuses, drops


def _environ(method: str, query: str, body: bytes, content_type: str, ip: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": PATH, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": ip, "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(), "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.version": (1, 0), "HTTP_X_TEST": "a",
        "CONTENT_LENGTH": str(len(body)),
    }  # fmt: skip
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    return environ


def _served(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes | None]:
    """(status, headers, body); body None when the connection was dropped."""
    got: list[Any] = []
    result = app(environ, lambda status, headers, exc=None: got.append((status, headers)))
    try:
        body: bytes | None = b"".join(result)
    except DropConnection:
        body = None
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = got[-1]
    return int(status[:3]), headers, body


REQUESTS = [
    ("GET", {"key": "k1", "mobile": HASHES[0]}, "127.0.0.1"),
    ("GET", {"key": "k2", "mobile": HASHES[1], "callback": "cb"}, "::ffff:127.0.0.1"),
    ("POST", {"key": "trial-k", "mobile": HASHES[2]}, "203.0.113.9"),
    ("GET", {"key": "k1", "mobile": "5" * 64}, "10.1.2.3"),
    ("HEAD", {"key": "k1", "mobile": HASHES[3]}, "::1"),
    ("GET", {"key": "", "mobile": "x"}, "127.0.0.1"),
    ("POST", {"key": "k2", "mobile": PHONES[0]}, "2001:db8::1"),
    ("GET", {"key": "k1", "mobile": HASHES[0]}, "127.0.0.1"),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(documents())
def test_every_accepted_document_serves_without_a_5xx(doc: dict[str, Any]) -> None:
    try:
        validate_document(doc, "drawn")
    except ConfigError:
        assume(False)  # refused at load: the document never serves
    app = create_app({"scenarios": [doc], "journal_size": 50})
    runtime = runtime_of(app)
    runtime.stop_pausing()  # latency and drip rules answer at once
    statuses, drops = _faults(doc)
    custom_reason = "reason" in json.dumps(doc)
    for method, params, ip in REQUESTS:
        form = urlencode(params)
        post = method == "POST"
        environ = _environ(method, "" if post else form, form.encode() if post else b"",
                           "application/x-www-form-urlencoded" if post else "", ip)  # fmt: skip
        status, headers, body = _served(app, environ)
        assert status < 500 or status in statuses, (status, doc)
        for header, value in headers:
            value.encode("latin-1")  # what every server must send
            assert "\r" not in value and "\n" not in value, (header, value)
        if body is None:
            assert drops, doc
            continue
        entry = runtime.requests()[-1]
        if entry["outcome"]["fault"] is None and method != "HEAD":
            assert status == 200
            text = body.decode("utf-8")
            if params.get("callback"):
                text = text[text.index("(") + 1 : text.rindex(")")]
            found = validate(json.loads(text), strict=True)
            assert all(v.rule == "reason-text" and custom_reason for v in found), found
    put = app.test_client().put("/__admin/scenarios", json=doc)
    assert put.status_code == 200, put.data
