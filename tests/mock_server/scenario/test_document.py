"""Scenario documents: the schema, loading YAML and JSON, errors naming file, field and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contract import ERROR_CODES, TENURE_CODES, key_fingerprint
from mock_server.scenario.compile import compile_scenario
from mock_server.scenario.document import default_document, load_document, merge_documents
from mock_server.scenario.errors import ConfigError
from mock_server.scenario.schema import SCENARIO_SCHEMA

from ...helpers.answers import check_body
from ...helpers.paths import SCENARIOS


def test_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(SCENARIO_SCHEMA)


def test_schema_code_enums_come_from_the_catalogue() -> None:
    outcome = SCENARIO_SCHEMA["properties"]["rules"]["items"]["properties"]["then"]
    assert outcome["properties"]["tenure"]["enum"] == list(TENURE_CODES)
    assert outcome["properties"]["error"]["enum"] == list(ERROR_CODES)


def test_default_document_is_package_data_with_long_tenure_most_likely() -> None:
    doc = default_document()
    weights = doc["default"]["weights"]
    assert max(weights, key=weights.get) == "5"


def test_yaml_and_json_files_load_the_same(tmp_path: Path) -> None:
    doc = {"version": 1, "rules": [{"when": {"key": "k"}, "then": {"error": 10012}}]}
    (tmp_path / "a.json").write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        "version: 1\nrules:\n  - when: {key: k}\n    then: {error: 10012}\n", encoding="utf-8"
    )
    assert load_document(tmp_path / "a.json") == load_document(tmp_path / "a.yaml") == doc


K = key_fingerprint("k")
BAD: list[tuple[str, str, str]] = [
    ("rules: [{then: {tenure: '6'}}]", "$.rules[0].then.tenure", "'6' is not one of"),
    ("rules: [{then: {error: 10006}}]", "$.rules[0].then.error", "10006 is not one of"),
    ("rules: [{when: {key: k}}]", "$.rules[0]", "is not valid"),
    ("rules: [{then: {}, sequence: [{}]}]", "$.rules[0]", "is valid under each"),
    ("rules: [{then: {tenure: '1', error: 10001}}]", "$.rules[0].then", "should not be valid"),
    ("rules: [{then: {reason: x}}]", "$.rules[0].then", "'error' is a dependency"),
    ("rules: [{then: {fault: drop, error: 234801}}]", "$.rules[0].then.fault", "replaces"),
    ("rules: [{then: {fault: status}}]", "$.rules[0].then.status", "needs a status"),
    ("rules: [{then: {fault: status, status: 100}}]", "$.rules[0].then.status", "minimum of 200"),
    ("rules: [{then: {error: 234803, detail: x}}]", "$.rules[0].then.detail", "no detail"),
    ("rules: [{then: {latency: [3, 1]}}]", "$.rules[0].then.latency", "low end"),
    ("rules: [{then: {latency: 999}}]", "$.rules[0].then.latency", "greater than the maximum"),
    ("rules: [{when: {mobile: '12345'}, then: {}}]", "$.rules[0].when.mobile", "neither"),
    ("rules: [{when: {ip: 'x.y'}, then: {}}]", "$.rules[0].when.ip[0]", "not an IP"),
    ("rules: [{when: {method: PUT}, then: {}}]", "$.rules[0].when.method", "is not valid"),
    ("rules: [{when: {window: {start: soon}}, then: {}}]", "$.rules[0].when.window.start", "ISO"),
    (
        "maintenance: [{start: '2020-01-02', end: '2020-01-01'}]",
        "$.maintenance[0].end",
        "ends before",
    ),
    ("maintenance: [{daily_start: '25:00', daily_end: '01:00'}]", "$.maintenance[0]", "match"),
    # A per_key entry is named by its key's fingerprint: the key is a secret (issue 16).
    (
        "keys: {per_key: {k: {error: 234801}}}",
        f"$.keys.per_key[<fingerprint {K}>].error",
        "is not one of",
    ),
    ("keys: {per_key: {k: {expires: never}}}", f"$.keys.per_key[<fingerprint {K}>].expires", "ISO"),
    ("keys: {quota: -1}", "$.keys.quota", "less than the minimum"),
    ("ips: {rate: {window_s: 1}}", "$.ips.rate", "'limit' is a required"),
    ("default: {weights: {'7': 1}}", "$.default.weights", "is not one of"),
    ("default: {weights: {'1': 0}}", "$.default.weights", "add up to zero"),
    ("internal_errors: 2", "$.internal_errors", "greater than the maximum"),
    ("version: 2", "$.version", "1 was expected"),
    ("surprise: true", "$", "'surprise' was unexpected"),
    ("- just\n- a list", "$", "is not of type 'object'"),
    ("rules: [unclosed", "line 1", "not valid YAML or JSON"),
    # NaN passes every bound of the schema (it compares false to everything); it made every
    # request a 500 once a rate window or a latency was NaN.
    ("ips: {rate: {limit: 1, window_s: .nan}}", "$.ips.rate.window_s", "finite number"),
    ("rules: [{then: {latency: .nan}}]", "$.rules[0].then.latency", "finite number"),
    ("rules: [{then: {latency: [0, .inf]}}]", "$.rules[0].then.latency[1]", "finite number"),
    ("rules: [{then: {fault: drip, interval: .nan}}]", "$.rules[0].then.interval", "finite"),
    ("internal_errors: .nan", "$.internal_errors", "finite number"),
    ("rules: [{probability: .nan, then: {}}]", "$.rules[0].probability", "finite number"),
    ("default: {weights: {'5': .inf}}", "$.default.weights['5']", "finite number"),
    ("rules: " + "[" * 5000 + "]" * 5000, "$", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "path", "why"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_document_names_file_field_and_why(
    tmp_path: Path, text: str, path: str, why: str
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_document(file)
    error = caught.value
    assert error.source == str(file)
    assert error.path.startswith(path), error
    assert why in error.why, error
    assert str(error).startswith(f"{file}: {error.path}: ")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_document(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: p.mkdir(), "a directory, not a file"),
        (lambda p: p.write_bytes(b"rules: []\n\xff\xfe"), "not UTF-8 text (byte 10)"),
    ],
    ids=["directory", "not-utf8"],
)
def test_unreadable_file_says_why(tmp_path: Path, make: Any, why: str) -> None:
    path = tmp_path / "scenario.yaml"
    make(path)
    with pytest.raises(ConfigError) as caught:
        load_document(path)
    assert (caught.value.source, caught.value.path, caught.value.why) == (str(path), "$", why)


def test_empty_file_is_an_empty_document(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    assert load_document(tmp_path / "empty.yaml") == {}


def test_merge_concatenates_lists_and_later_values_win() -> None:
    first: dict[str, Any] = {
        "seed": 1,
        "rules": [{"then": {"error": 10001}}],
        "keys": {"per_key": {"a": {"quota": 1}}},
        "default": {"weights": {"1": 1, "5": 9}},
    }
    second: dict[str, Any] = {
        "seed": 2,
        "rules": [{"then": {"error": 10002}}],
        "keys": {"per_key": {"b": {"quota": 2}}},
        "default": {"weights": {"3": 1}},
    }
    merged = merge_documents([first, second])
    assert merged["seed"] == 2
    assert [r["then"]["error"] for r in merged["rules"]] == [10001, 10002]
    assert set(merged["keys"]["per_key"]) == {"a", "b"}
    assert merged["default"]["weights"] == {"3": 1}  # weights are replaced, not mixed
    assert first["rules"] == [{"then": {"error": 10001}}]  # inputs untouched


def test_seed_argument_overrides_document() -> None:
    assert compile_scenario({"seed": 4}, seed=9).seed == 9
    assert compile_scenario({"seed": 4}).seed == 4


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenario_files_are_valid_and_documented(path: Path) -> None:
    doc = load_document(path)
    assert doc["version"] == 1
    assert path.read_text(encoding="utf-8").startswith(f"# {path.stem}:")


def test_bad_rule_in_a_document_names_its_label_and_json_path() -> None:
    # A scenario given as a dict has a label with a space in it ("scenario #1"); the error
    # must keep that label whole and give the field's path on its own.
    from mock_server import MockServer

    doc = {"version": 1, "rules": [{"when": {"ip": "not-an-ip"}, "then": {"tenure": "3"}}]}
    with pytest.raises(ConfigError) as caught:
        MockServer(doc).start()
    assert caught.value.source == "scenario #1"
    assert caught.value.path == "$.rules[0].when.ip[0]"


@pytest.mark.parametrize(
    "given",
    [
        SCENARIOS / "maintenance.yaml",
        str(SCENARIOS / "maintenance.yaml"),
        {"maintenance": [{"start": "2000-01-01", "end": "2999-01-01"}]},
        [{"maintenance": [{"start": "2000-01-01", "end": "2999-01-01"}]}],
    ],
    ids=["path", "str", "document", "list"],
)
def test_create_app_takes_one_scenario_or_a_list(given: Any) -> None:
    # A single path used to be iterated character by character ("f: no such file").
    from contract import PATH, magic_number, mobile_sha256
    from mock_server import create_app

    client = create_app({"scenarios": given}).test_client()
    answer = client.get(PATH, query_string={"key": "k", "mobile": mobile_sha256(magic_number("1"))})
    body = answer.get_json()
    check_body(body)
    assert body["error_code"] == 10020
