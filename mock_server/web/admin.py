"""The admin API under ``/__admin``: health, journal, usage, reset, scenarios, catalogue.

Only loopback clients may use it (an IPv4-mapped ``::ffff:127.0.0.1`` is loopback too),
unless the mock was started with an admin token; then every admin request must carry it
(``Authorization: Bearer <token>``, the scheme in any case, or ``X-Admin-Token: <token>``),
compared as bytes in constant time: a header that is not UTF-8 is just a wrong token, and
a non-ASCII token matches the UTF-8 bytes a client sends. JSON in and out (a scenario may
also be put and read as YAML, parsed as a scenario file is); bad input gets a 400 with a
message naming the field and why. The dashboard (:mod:`.ui`) is a page over these endpoints.
The health answer alone is open to every client when there is no token: it says who this
is (``"server": "juhe-mock"``, the version, whether any key is accepted), which is how a
conformance run tells our mock from a live target (``contract.conformance.identify``), and
it reveals nothing else.
"""

from __future__ import annotations

import functools
import hmac
import importlib.metadata
import ipaddress
from collections.abc import Callable
from typing import Any

import yaml
from flask import Blueprint, Flask, Response, current_app, request

from contract.transport import HEALTH_PATH, MOCK_SERVER

from ..runtime import MockRuntime
from ..scenario.document import compile_text
from ..scenario.errors import ConfigError
from ..scenario.model import normal_ip
from ..scenario.parse import parse_json, plain
from .catalogue import catalogue_document
from .door_flask import EXTENSION
from .named import named_scenarios
from .origin import cross_site_guard
from .wire import CONTENT_TYPE, encode

__all__ = ["admin", "refuse_per_worker"]

admin = Blueprint("admin", __name__, url_prefix="/__admin")


def _json(body: Any, status: int = 200) -> Response:
    return Response(encode(body), status=status, content_type=CONTENT_TYPE)


def _error(status: int, error: str, message: str) -> Response:
    return _json({"error": error, "message": message}, status)


def _runtime() -> MockRuntime:
    runtime: MockRuntime = current_app.extensions[EXTENSION]
    return runtime


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(normal_ip(address)).is_loopback
    except ValueError:
        return False


def _raw(value: str) -> bytes:
    """A header's bytes as the client sent them: WSGI carries them as latin-1 text (a server
    that decoded them otherwise gets their UTF-8, lone surrogates kept, never an error)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


def _given_token() -> bytes:
    """The token the request carries: ``Authorization: Bearer`` (any case) first."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return _raw(credentials.strip(" \t"))
    return _raw(request.headers.get("X-Admin-Token", ""))


@admin.before_request
def _guard() -> Response | None:
    token = _runtime().config.admin_token
    if token is None:
        if _is_loopback(request.remote_addr) or request.path == HEALTH_PATH:
            return None
        return _error(403, "forbidden", "the admin API answers loopback clients only")
    if hmac.compare_digest(_given_token(), token.encode("utf-8", "surrogatepass")):
        return None
    return _error(401, "unauthorized", "a valid admin token is required")


admin.before_request(cross_site_guard)  # after the guard: no cross-site changes (origin.py)


def _with_body(change: Callable[[MockRuntime, dict[str, Any]], Response]) -> Response:
    """Apply ``change`` to the request's JSON object, or answer 400 saying what is wrong.

    The body is read whatever its Content-Type (``curl -d`` sends a form type), and parsed
    as a scenario file is (a duplicated key, a 5,000-digit number, nesting too deep: each a
    400 like any other bad body).
    """
    try:
        data = parse_json(request.get_data(cache=False), "request body")
    except ConfigError as error:
        why = f"{error.path}: {error.why}" if error.path != "$" else error.why
        return _error(400, "bad_request", f"the body must be a JSON document: {why}")
    if not isinstance(data, dict):
        return _error(400, "bad_request", "$: the body must be a JSON object")
    try:
        # Checked here, before any copy could lose what the parser marked (a key twice).
        return change(_runtime(), plain(data, "request body"))
    except ConfigError as error:
        return _error(400, "invalid_scenario", f"{error.path}: {error.why}")


@admin.get("/health")
def health() -> Response:
    runtime = _runtime()
    scenario = runtime.engine.scenario
    return _json(
        {
            "status": "ok",
            "server": MOCK_SERVER,
            "version": _version(),
            "accepts_any_key": scenario.platform.allow is None,
            "rules": len(scenario.rules),
            "uptime_s": round(runtime.clock() - runtime.started, 3),
            # A guard proxy is live for every tool that asks (contract.conformance.identify).
            **({"upstream": runtime.proxy.upstream.label} if runtime.proxy is not None else {}),
        }
    )


@functools.lru_cache(maxsize=1)
def _version() -> str:
    try:
        return importlib.metadata.version("juhe-tenure-toolkit")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        return "unknown"


@admin.get("/requests")
def requests_list() -> Response:
    entries = _runtime().requests()
    return _json({"count": len(entries), "requests": entries})


@admin.delete("/requests")
def requests_clear() -> Response:
    _runtime().store.journal_clear()
    return _json({"cleared": True})


@admin.get("/usage")
def usage() -> Response:
    return _json(_runtime().usage())


@admin.post("/reset")
def reset() -> Response:
    _runtime().reset()
    return _json({"reset": True})


#: The answer's type for ``GET /__admin/scenarios?format=yaml``.
YAML_TYPE = "application/yaml; charset=utf-8"


@admin.get("/scenarios")
def scenarios_get() -> Response:
    document = _runtime().document
    if request.args.get("format") == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
        return Response(text, content_type=YAML_TYPE)
    return _json(document)


def _is_json(content_type: str | None) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


@admin.put("/scenarios")
def scenarios_put() -> Response:
    """Replace the scenario: a JSON body (``Content-Type: application/json``) as before, any
    other body as YAML (which JSON is part of), through the one scenario parser."""

    def replace(runtime: MockRuntime, doc: Any) -> Response:
        runtime.configure(doc, "request body")
        return _json({"rules": len(runtime.engine.scenario.rules)})

    if _is_json(request.content_type):
        return _with_body(replace)
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(400, "bad_request", f"$: the body must be UTF-8 text (byte {exc.start})")
    try:
        return replace(_runtime(), compile_text(text, "request body"))
    except ConfigError as error:
        return _error(400, "invalid_scenario", f"{error.path}: {error.why}")


@admin.get("/scenarios/named")
def scenarios_named() -> Response:
    """The named scenarios this installation has, each with its text, for the dashboard."""
    return _json({"scenarios": named_scenarios()})


@admin.get("/catalogue")
def catalogue() -> Response:
    """Every code and its words, from the contract's catalogue (the dashboard's labels)."""
    return _json(catalogue_document())


@admin.post("/scenarios/rules")
def scenarios_add_rule() -> Response:
    def add(runtime: MockRuntime, rule: dict[str, Any]) -> Response:
        name = runtime.add_rule(rule, "request body")
        return _json({"added": name, "rules": len(runtime.engine.scenario.rules)}, 201)

    return _with_body(add)


_NOT_SHARED_SCENARIO = (
    "with {n} workers each worker holds its own copy of the scenario, so it cannot be "
    "changed over the admin API; change the scenario files and restart juhe-mock"
)
_PER_WORKER_STATE = (
    "with {n} workers and memory state, each worker keeps its own journal and ledger; "
    "one worker's part would be wrong, so it is not served. Start juhe-mock with "
    "--state redis://HOST:PORT/DB to share them"
)
_SCENARIO_WRITES = {("PUT", "/__admin/scenarios"), ("POST", "/__admin/scenarios/rules")}
_PER_WORKER = {
    ("GET", "/__admin/requests"),
    ("DELETE", "/__admin/requests"),
    ("GET", "/__admin/usage"),
    ("POST", "/__admin/reset"),
}


def refuse_per_worker(app: Flask, workers: int, *, shared_state: bool) -> None:
    """Refuse (409) the admin calls that one of several workers cannot answer for all.

    Registered on the admin blueprint after its own guard, so the token and loopback
    checks still come first.
    """

    def refuse() -> Response | None:
        call = (request.method, request.path.rstrip("/"))
        if call in _SCENARIO_WRITES:
            message = _NOT_SHARED_SCENARIO.format(n=workers)
        elif not shared_state and call in _PER_WORKER:
            message = _PER_WORKER_STATE.format(n=workers)
        else:
            return None
        return _error(409, "not_shared", message)

    app.before_request_funcs.setdefault("admin", []).append(refuse)
