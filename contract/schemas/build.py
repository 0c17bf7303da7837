"""The JSON Schemas, built from the catalogue: what ``contract/schemas/*.json`` holds.

``python -m contract.documents`` writes the files; a test proves the committed files equal
``build_schemas()``, so the schemas and the catalogue can never disagree. Whether an orderid
is a real date, and the strict 4 digits after it, are checked by ``contract.validate``: a
pattern cannot say them.
"""

from __future__ import annotations

import json
from typing import Any

from ..codes import ERROR_CODES, SUCCESS_CODE, SUCCESS_REASON, TENURE_CODES, ErrorKind
from ..media import JSONP_CALLBACK_PATTERN
from . import NAMES

__all__ = ["DRAFT", "SCHEMA_NAMES", "build_schemas", "dump_schema"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: The schema files, by name; each is ``contract/schemas/<name>.json``.
SCHEMA_NAMES = NAMES

# Juhe keys are 32 hex characters, but the API documents only "string": any other key is
# answered 10001, so the request schema accepts any non-empty string.
_SHA256_PATTERN = "^[0-9a-fA-F]{64}$"
# "J" + yyyyMMddHHmmss + at least 4 digits; live orderids may carry more (docs/wire.md).
# Whether the timestamp is a real date, and the strict 4 digits, are checked by validate.
_ORDERID_PATTERN = "^J[0-9]{18}[0-9A-Za-z]*$"


def _codes(kind: ErrorKind) -> list[int]:
    return [e.code for e in ERROR_CODES.values() if e.kind is kind]


def _reason() -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "description": "Status text. Live wording varies; rely on error_code, not on this.",
    }


def _request() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": "Request parameters",
        "description": "GET query parameters or a POST application/x-www-form-urlencoded body.",
        "type": "object",
        "properties": {
            "key": {
                "type": "string",
                "minLength": 1,
                "description": "The API key (32 hex characters for keys Juhe issues).",
            },
            "mobile": {
                "type": "string",
                "pattern": _SHA256_PATTERN,
                "description": "sha256 of the bare 11-digit number, 64 hex characters.",
            },
            "callback": {
                "type": "string",
                "pattern": JSONP_CALLBACK_PATTERN,
                "description": "JSONP: wrap the JSON answer as callback(...).",
            },
        },
        "required": ["key", "mobile"],
        "additionalProperties": False,
    }


def _success() -> dict[str, Any]:
    tenure = ", ".join(f"{t.code} = {t.english}" for t in TENURE_CODES.values())
    return {
        "$schema": DRAFT,
        "title": "Success body",
        "description": f'Billed. reason is "{SUCCESS_REASON}" from the vendor.',
        "type": "object",
        "properties": {
            "reason": _reason(),
            "result": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": list(TENURE_CODES),
                        "description": f"Tenure code: {tenure}.",
                    },
                    "orderid": {
                        "type": "string",
                        "pattern": _ORDERID_PATTERN,
                        "description": 'Juhe serial number: "J" + yyyyMMddHHmmss + digits.',
                    },
                },
                "required": ["code", "orderid"],
                "additionalProperties": False,
            },
            "error_code": {"type": "integer", "const": SUCCESS_CODE},
        },
        "required": ["reason", "result", "error_code"],
        "additionalProperties": False,
    }


def _system_error() -> dict[str, Any]:
    codes = _codes(ErrorKind.SYSTEM)
    return {
        "$schema": DRAFT,
        "title": "System error body (100xx)",
        "description": "Juhe platform errors carry the legacy resultcode as a string.",
        "type": "object",
        "properties": {
            "resultcode": {
                "type": "string",
                "enum": [ERROR_CODES[c].resultcode for c in codes],
            },
            "reason": _reason(),
            "result": {"type": "null"},
            "error_code": {"type": "integer", "enum": codes},
        },
        "required": ["resultcode", "reason", "result", "error_code"],
        "additionalProperties": False,
        # Each error_code has exactly one resultcode.
        "allOf": [
            {
                "if": {"properties": {"error_code": {"const": c}}},
                "then": {"properties": {"resultcode": {"const": ERROR_CODES[c].resultcode}}},
            }
            for c in codes
        ],
    }


def _service_error() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": "Service error body (2348xx)",
        "description": "This API's own errors: no resultcode.",
        "type": "object",
        "properties": {
            "reason": _reason(),
            "result": {"type": "null"},
            "error_code": {"type": "integer", "enum": _codes(ErrorKind.SERVICE)},
        },
        "required": ["reason", "result", "error_code"],
        "additionalProperties": False,
    }


def _response() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": "Any answer of the API",
        "description": "HTTP 200 for every answer; error_code says which kind.",
        "oneOf": [
            {"$ref": "success.json"},
            {"$ref": "system_error.json"},
            {"$ref": "service_error.json"},
        ],
    }


def build_schemas() -> dict[str, dict[str, Any]]:
    """Every schema by name (see ``SCHEMA_NAMES``), as the catalogue defines it today."""
    return {
        "request": _request(),
        "success": _success(),
        "system_error": _system_error(),
        "service_error": _service_error(),
        "response": _response(),
    }


def dump_schema(schema: dict[str, Any]) -> str:
    """The committed text of a schema (or other JSON) file."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
