"""Every scenario that is accepted serves; the rest are refused naming file, field and why.

Before issue 16 each document here either passed validation and then made every request a
500 (a ``window_s`` of 1e-320, a raw fault's Content-Type with a line break, or with
Chinese in it, which waitress, the server then, could not send; a lone surrogate), or
crashed the loader with a traceback (``expires: 2024-13-45``, a 5,000-digit seed, a
400-digit weight, which was also a 500 from ``PUT /__admin/scenarios``), or took a minute
to load (5 MB of JSON, 200k rules: YAML's pure-Python parser read JSON), or expanded a
"billion laughs" into memory.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import PATH, key_fingerprint, magic_number, mobile_sha256
from mock_server import MockServer
from mock_server.runtime import MockRuntime
from mock_server.scenario import parse, schema
from mock_server.scenario.document import compile_file, compile_text, validate_document
from mock_server.scenario.errors import ConfigError
from mock_server.web.app import create_app

from ...helpers.answers import check_body
from ...helpers.served import mock_command

HASH = mobile_sha256(magic_number("3"))
SECRET = "sk-planted-secret-5e1f"
LAUGHS = "\n".join(
    [f"a0: &a0 [{', '.join(['x'] * 10)}]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
)  # 10^9 values once expanded, in 500 bytes


def _refused(text: str, kind: str | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        compile_text(text, "doc", kind)
    return caught.value


# --- accepted then 500 on every request: now refused at load ------------------------------

SERVED_500: list[tuple[dict[str, Any], str, str]] = [
    ({"ips": {"rate": {"limit": 5, "window_s": 1.0e-320}}}, "$.ips.rate.window_s", "minimum"),
    ({"rules": [{"then": {"fault": "raw", "text": "x", "content_type": "text/plain\r\nX: y"}}]},
     "$.rules[0].then.content_type", "does not match"),
    ({"rules": [{"then": {"fault": "raw", "text": "x", "content_type": "text/plain; 中文"}}]},
     "$.rules[0].then.content_type", "does not match"),
    ({"rules": [{"then": {"error": 10014, "reason": "\ud83d"}}]},
     "$.rules[0].then.reason", "lone surrogate"),
    ({"rules": [{"then": {"fault": "raw", "json": {"x": "\udc80"}}}]},
     "$.rules[0].then.json.x", "lone surrogate"),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "path", "why"), SERVED_500, ids=[p for _, p, _ in SERVED_500])
def test_documents_that_served_500s_are_refused_naming_the_field(
    doc: dict[str, Any], path: str, why: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_document(doc, "doc")
    assert (caught.value.path, why in caught.value.why) == (path, True), caught.value


def test_a_json_file_is_parsed_as_json_and_serves_its_surrogate_pair(tmp_path: Path) -> None:
    path = tmp_path / "emoji.json"
    path.write_text(
        '{"internal_errors": 1e-1,'
        ' "rules": [{"then": {"error": 10014, "reason": "\\ud83d\\ude00"}}]}',
        encoding="utf-8",
    )
    doc = compile_file(path).document
    assert doc["internal_errors"] == 0.1  # YAML read 1e-1 as text
    with MockServer(scenarios=[path]) as mock:  # a real server: bytes on the wire
        response = requests.get(mock.url + PATH, params={"key": "k", "mobile": HASH}, timeout=10)
    assert response.status_code == 200
    body = response.json()
    check_body(body, reason="😀")  # the scenario's own reason, checked as such


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [("dup.json", '{"seed": 1, "seed": 2}', "$.seed: this key appears twice"),
     ("dup.yaml", "seed: 1\nseed: 2\n", "line 2, column 1: not valid YAML or JSON: a mapping"),
     ("binary.yaml", "description: !!binary aGk=",
      "line 1, column 14: not valid YAML or JSON: could not determine a constructor"),
     ("python.yaml", "description: !!python/name:os.system ''",
      "line 1, column 14: not valid YAML or JSON: could not determine a constructor"),
     ("noext", '{"seed": 1, "seed": 2}', "$.seed: this key appears twice")],
)  # fmt: skip
def test_duplicate_keys_and_unsafe_tags_are_refused(
    tmp_path: Path, name: str, text: str, why: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        compile_file(path)
    assert str(caught.value).startswith(f"{path}: {why}"), caught.value


def test_yaml_dates_stay_text_so_a_bad_one_is_a_field_error() -> None:
    ok = compile_text("maintenance: [{start: 2024-06-01, end: 2024-06-02T10:00:00Z}]", "doc")
    assert ok.document["maintenance"] == [{"start": "2024-06-01", "end": "2024-06-02T10:00:00Z"}]
    error = _refused("maintenance: [{start: 2024-13-45}]")
    assert error.path == "$.maintenance[0].start"
    assert error.why == "'2024-13-45' is not an ISO 8601 date-time"


# --- crashed the loader: now exit 2 naming file and field ---------------------------------

LOADER_CRASHES = [
    ("bad-date.yaml", f"keys: {{per_key: {{{SECRET}: {{expires: 2024-13-45}}}}}}",
     f"$.keys.per_key[<fingerprint {key_fingerprint(SECRET)}>].expires: '2024-13-45' is not"),
    ("long-seed.yaml", "seed: " + "7" * 5000, "$.seed: a number of 5,000 characters; at most 40"),
    ("long-weight.yaml", "default: {weights: {'3': " + "9" * 400 + "}}",
     "$.default.weights['3']: a number of 400 characters"),
    ("long-weight.json", '{"default": {"weights": {"3": ' + "9" * 400 + "}}}",
     "$.default.weights['3']: a number of 400 characters"),
    ("laughs.yaml", LAUGHS, "line 6, column 5: with its aliases expanded, the document holds"),
]  # fmt: skip


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("name", "text", "why"), LOADER_CRASHES, ids=[c[0] for c in LOADER_CRASHES]
)
def test_juhe_mock_refuses_them_with_exit_2(tmp_path: Path, name: str, text: str, why: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        mock_command("--scenarios", str(path)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert time.monotonic() - started < 30  # liveness: a start, then a refusal, not a hang
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"juhe-mock: {path}: {why}"), done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stderr


def test_the_admin_api_answers_them_with_400() -> None:
    client = create_app().test_client()
    for body, why in [
        (b'{"default": {"weights": {"3": ' + b"9" * 400 + b"}}}", "a number of 400 characters"),
        (b'{"seed": ' + b"7" * 5000 + b"}", "a number of 5,000 characters"),
        (b'{"rules": [], "rules": []}', "$.rules: this key appears twice"),
        (b'{"keys": {"per_key": {"k": {"expires": "2024-13-45"}}}}', "is not an ISO 8601"),
    ]:
        response = client.put("/__admin/scenarios", data=body)
        assert response.status_code == 400, response.data
        assert why in response.get_json()["message"]
    assert client.get("/__admin/health").get_json()["rules"] == 0


def test_a_billion_laughs_is_refused_within_a_second_or_so() -> None:
    started = time.monotonic()
    error = _refused(LAUGHS, "yaml")
    assert time.monotonic() - started < 5  # liveness (measured: a few milliseconds)
    assert "aliases expanded" in error.why and "250,000 values" in error.why
    small = compile_text("rules:\n- &r {then: {error: 10020}}\n- *r\n", "doc")
    assert len(small.rules) == 2  # aliases within the bound still work


# --- bounds ----------------------------------------------------------------------------


def test_a_file_over_the_size_bound_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"description": "x" * parse.MAX_DOCUMENT_BYTES}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\$: 4,194,3\d\d bytes; a scenario document is at most"):
        compile_file(path)


@pytest.mark.parametrize(
    ("doc", "path", "why"),
    [({"rules": [{"then": {}}] * (schema.MAX_RULES + 1)}, "$.rules", "10,001 rules"),
     ({"rules": [{"then": {"fault": "raw", "json": list(range(300_000))}}]}, "$", "250,000"),
     ({"rules": [{"then": {"fault": "raw", "json": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
         [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
         ]]]]]]]]]]]]]]]]]]]}}]}, "$.rules[0].then.json" + "[0]" * 60, "nested too deeply"),
     ({"seed": 10**60}, "$.seed", "longer than 40 digits"),
     ({"seed": 2**63}, "$.seed", "greater than the maximum"),
     ({"keys": {"quota": 10**13}}, "$.keys.quota", "greater than the maximum"),
     ({"default": {"weights": {"3": 1e300}}}, "$.default.weights['3']", "greater than"),
     ({"description": {1, 2}}, "$.description", "not a JSON value (set)"),
     ({"rules": [{"name": "x" * 101, "then": {}}]}, "$.rules[0].name", "too long")],
    ids=["rules", "values", "depth", "digits", "seed", "quota", "weight", "set", "name"],
)  # fmt: skip
def test_documents_past_a_bound_are_refused_naming_where(
    doc: dict[str, Any], path: str, why: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_document(doc, "doc")
    assert caught.value.path == path and why in caught.value.why, caught.value


def test_rules_past_the_bound_in_all_are_refused_merged_or_added(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mock_server.runtime as runtime_module

    monkeypatch.setattr(runtime_module, "MAX_RULES", 3)
    two = {"rules": [{"then": {"error": 10020}}] * 2}
    with pytest.raises(ConfigError, match=r"merged scenario: \$\.rules: 4 rules in all"):
        create_app({"scenarios": [two, two]})
    app = create_app({"scenarios": [two]})
    client = app.test_client()
    assert client.post("/__admin/scenarios/rules", json={"then": {}}).status_code == 201
    refused = client.post("/__admin/scenarios/rules", json={"then": {}})
    assert refused.status_code == 400 and "3 rules, the most" in refused.get_json()["message"]
    runtime: MockRuntime = app.extensions["juhe_mock"]
    assert len(runtime.scenario.rules) == 3


# --- secrets in messages ------------------------------------------------------------------

LEAKY = [
    f"keys: {{per_key: {{{SECRET}: {{quota: -1}}}}}}",
    f"keys: {{per_key: {{{SECRET}: {{error: 1}}}}}}",
    f"keys: {{per_key: {{{SECRET}: 5}}}}",
    f"keys: {{allow: [{SECRET}, '']}}",
    f"keys: {{allow: {SECRET}}}",
    f"keys: {{{SECRET}: 1}}",
    f"keys: {SECRET}",
    f"keys: {{per_key: {SECRET}}}",
    f"rules: [{{when: {{key: [{SECRET}, '']}}, then: {{}}}}]",
    f"rules: [{{when: {{key: {SECRET}}}, then: {{}}, sequence: [{{}}]}}]",
    f"rules: [{{when: {{key: {SECRET}}}}}]",
    f"rules: [{{when: {{key: {SECRET}, mobile: 13800138000}}, then: {{}}}}]",
    f'{{"keys": {{"per_key": {{"{SECRET}": {{}}, "{SECRET}": {{}}}}}}}}',
]


@pytest.mark.parametrize("text", LEAKY)
def test_no_error_message_spells_out_a_key_or_a_phone_number(text: str) -> None:
    error = _refused(text)
    assert SECRET not in str(error) and "13800138000" not in str(error), error
    assert error.path.startswith(("$.keys", "$.rules[0]")), error


def test_a_per_key_entry_is_named_by_its_fingerprint_in_the_admin_api_too() -> None:
    client = create_app().test_client()
    doc = {"keys": {"per_key": {SECRET: {"quota": -1}}}}
    response = client.put("/__admin/scenarios", json=doc)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message.startswith(f"$.keys.per_key[<fingerprint {key_fingerprint(SECRET)}>].quota")
    assert SECRET not in message
