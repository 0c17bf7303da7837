"""The shipped JSON Schemas: valid Draft 2020-12, equal to the catalogue's build, one registry."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from contract import ERROR_CODES, TENURE_CODES, ErrorKind, documents, schemas

SCHEMA_DIR = Path(schemas.__file__).parent


@pytest.mark.parametrize("name", schemas.NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(schemas.load(name))


@pytest.mark.parametrize("name", schemas.NAMES)
def test_committed_schema_file_equals_catalogue_build(name: str) -> None:
    built = documents.dump_schema(documents.build_schemas()[name])
    committed = (SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == built, "run `python -m contract.documents` after changing the catalogue"


def test_every_schema_file_is_known_and_registered() -> None:
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(schemas.NAMES)
    assert documents.SCHEMA_NAMES == schemas.NAMES
    for name in schemas.NAMES:
        assert schemas.REGISTRY.contents(schemas.uri(name)) == schemas.load(name)


def test_schema_enums_are_the_catalogue() -> None:
    success = schemas.load("success")["properties"]
    assert success["result"]["properties"]["code"]["enum"] == list(TENURE_CODES)
    system = schemas.load("system_error")["properties"]
    service = schemas.load("service_error")["properties"]
    assert set(system["error_code"]["enum"]) | set(service["error_code"]["enum"]) == set(
        ERROR_CODES
    )
    for code in system["error_code"]["enum"]:
        assert ERROR_CODES[code].kind is ErrorKind.SYSTEM
    assert system["resultcode"]["enum"] == [
        ERROR_CODES[c].resultcode for c in system["error_code"]["enum"]
    ]


def test_response_union_resolves_refs_through_registry() -> None:
    response = schemas.validator("response")
    assert response.is_valid(
        {"resultcode": "112", "reason": "x", "result": None, "error_code": 10012}
    )
    assert not response.is_valid(
        {"resultcode": "111", "reason": "x", "result": None, "error_code": 10012}
    )
    assert not response.is_valid({"reason": "x", "result": None, "error_code": 0})


def test_validator_is_compiled_once() -> None:
    assert schemas.validator("success") is schemas.validator("success")


def test_unknown_schema_name_raises_key_error() -> None:
    with pytest.raises(KeyError, match="request"):
        schemas.load("nope")


def test_schemas_docstring_example_runs() -> None:
    result = doctest.testmod(schemas)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("callback", "valid"),
    [
        ("cb", True),
        ("jQuery1124_1579", True),
        ("$.app.handle", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("a.b.c.d.e.f", False),
        ("a..b", False),
        ("alert(1)", False),
        ("<script>", False),
        ("1cb", False),
        ("", False),
    ],
)
def test_jsonp_callback_pattern(callback: str, valid: bool) -> None:
    params = {"key": "k", "mobile": "a" * 64, "callback": callback}
    assert schemas.validator("request").is_valid(params) is valid
