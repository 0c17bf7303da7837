"""contract/openapi.yaml: valid OpenAPI 3.1, current, an example per code, loads in Schemathesis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import flask
import pytest
import schemathesis
import yaml
from hypothesis import given, settings
from openapi_spec_validator import validate as validate_spec
from openapi_spec_validator.readers import read_from_filename

import contract
from contract import JSON_CONTENT_TYPE, PATH, documents, error_body, validate

from ..helpers.paths import read_fixture

OPENAPI = Path(contract.__file__).parent / "openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
EXAMPLES: dict[str, Any] = DOCUMENT["components"]["examples"]


def test_openapi_document_is_valid_3_1() -> None:
    spec, base_uri = read_from_filename(str(OPENAPI))
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec, base_uri=base_uri)


def test_committed_openapi_equals_catalogue_build() -> None:
    built = documents.dump_openapi(documents.build_openapi())
    assert OPENAPI.read_text(encoding="utf-8") == built, "run `python -m contract.documents`"


def test_openapi_examples_equal_examples_fixture() -> None:
    fixture = read_fixture("examples.json")
    assert fixture == EXAMPLES


def test_openapi_has_named_example_for_every_code() -> None:
    names = [f"tenure_{c}" for c in contract.TENURE_CODES]
    names += [f"error_{c}" for c in contract.ERROR_CODES]
    assert list(EXAMPLES) == names
    content = DOCUMENT["components"]["responses"]["Answer"]["content"]
    assert list(content) == [JSON_CONTENT_TYPE, contract.JSONP_CONTENT_TYPE]
    assert list(content[JSON_CONTENT_TYPE]["examples"]) == names


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_openapi_example_validates_strictly(name: str) -> None:
    assert validate(EXAMPLES[name]["value"], strict=True) == []


def test_both_methods_answer_with_the_shared_response() -> None:
    operations = DOCUMENT["paths"][PATH]
    assert sorted(operations) == ["get", "post"]
    for operation in operations.values():
        assert operation["responses"] == {"200": {"$ref": "#/components/responses/Answer"}}
    form = operations["post"]["requestBody"]["content"]
    assert list(form) == [contract.FORM_CONTENT_TYPE]
    assert [p["name"] for p in operations["get"]["parameters"]] == ["key", "mobile", "callback"]


def _schema() -> Any:
    return schemathesis.openapi.from_path(str(OPENAPI))


def _generated_parameters(operation: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    is_get = operation.method.upper() == "GET"

    @given(case=operation.as_strategy())
    @settings(max_examples=10, database=None)
    def collect(case: Any) -> None:
        seen.append(dict(case.query if is_get else case.body))

    collect()
    return seen


def test_schemathesis_loads_both_operations_and_generates_cases() -> None:
    operations = [result.ok() for result in _schema().get_all_operations()]
    assert sorted(op.method.upper() for op in operations) == ["GET", "POST"]
    for operation in operations:
        generated = _generated_parameters(operation)
        assert generated, operation.method
        for params in generated:
            assert contract.is_mobile_sha256(params["mobile"])
            assert isinstance(params["key"], str)
            assert params["key"]
            assert set(params) <= {"key", "mobile", "callback"}


def _answering(app_body: object) -> Any:
    app = flask.Flask("answer")

    @app.route(PATH, methods=["GET", "POST"])
    def answer() -> flask.Response:
        return flask.Response(json.dumps(app_body), content_type=JSON_CONTENT_TYPE)

    return app.test_client().get(PATH)


@pytest.mark.parametrize("name", ["tenure_3", "error_10001", "error_234802"])
def test_schemathesis_accepts_documented_answers(name: str) -> None:
    response = _answering(EXAMPLES[name]["value"])
    for result in _schema().get_all_operations():
        assert result.ok().is_valid_response(response)


@pytest.mark.parametrize(
    "body",
    [error_body(10001) | {"resultcode": "102"}, {"error_code": 0}, error_body(234803) | {"x": 1}],
    ids=["resultcode-mismatch", "success-without-result", "extra-key"],
)
def test_schemathesis_rejects_broken_answers(body: dict[str, Any]) -> None:
    response = _answering(body)
    for result in _schema().get_all_operations():
        assert not result.ok().is_valid_response(response)


# --- the single-file bundle (contract/openapi.bundled.json) -----------------------------

BUNDLED = Path(contract.__file__).parent / documents.BUNDLED_OPENAPI


def _bundled() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BUNDLED.read_text(encoding="utf-8"))
    return loaded


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_committed_bundle_equals_catalogue_build() -> None:
    built = documents.dump_bundled_openapi(documents.build_bundled_openapi())
    assert BUNDLED.read_text(encoding="utf-8") == built, "run `python -m contract.documents`"


def test_bundle_has_no_relative_ref_and_every_ref_resolves() -> None:
    bundle = _bundled()
    refs = _refs(bundle)
    assert refs and all(ref.startswith("#/") for ref in refs), [r for r in refs if r[:2] != "#/"]
    for ref in refs:
        node: Any = bundle
        for step in ref[2:].split("/"):
            node = node[step]  # a KeyError names the broken pointer
        assert isinstance(node, dict)


def test_bundle_is_valid_3_1_on_its_own() -> None:
    validate_spec(_bundled())  # no base URI: nothing outside the document to follow


def test_bundle_holds_the_same_schemas_and_operations() -> None:
    bundle = _bundled()
    assert set(bundle["components"]["schemas"]) == set(documents.SCHEMA_NAMES)
    assert bundle["components"]["examples"] == EXAMPLES
    assert sorted(bundle["paths"][PATH]) == ["get", "post"]
    split = DOCUMENT["paths"][PATH]["get"]["parameters"]
    assert [p["name"] for p in bundle["paths"][PATH]["get"]["parameters"]] == [
        p["name"] for p in split
    ]


def test_the_key_has_a_security_scheme_in_both_documents() -> None:
    for document in (DOCUMENT, _bundled()):
        scheme = document["components"]["securitySchemes"][documents.SECURITY_SCHEME]
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "query", "key")
        assert "security" not in document  # described, not applied: see documents._key_scheme


@pytest.mark.parametrize("name", ["tenure_3", "error_10001", "error_234802"])
def test_schemathesis_takes_the_bundle_as_a_plain_dict(name: str) -> None:
    loaded = schemathesis.openapi.from_dict(_bundled())
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert sorted(op.method.upper() for op in operations) == ["GET", "POST"]
    response = _answering(EXAMPLES[name]["value"])
    for operation in operations:
        assert operation.is_valid_response(response)
        assert not operation.is_valid_response(_answering({"error_code": 0}))
