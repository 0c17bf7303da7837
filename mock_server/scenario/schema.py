"""The JSON Schema of a scenario document, built from the contract's catalogue.

The code enums come from ``contract`` so that a new code needs no edit here.
``juhe-mock --print-schema`` prints it for editors. Every number and list has a bound: a
document the schema accepts must serve (a ``window_s`` of ``1e-320`` made every request a
500 once), and the size of a document is bounded too (:mod:`.parse`).
"""

from __future__ import annotations

from typing import Any

from contract import ERROR_CODES, TENURE_CODES

from .model import FaultKind

__all__ = ["MAX_COUNT", "MAX_RULES", "SCENARIO_SCHEMA"]

#: The most rules a scenario may hold (merged documents and added rules included): the
#: engine tries them in order on every request.
MAX_RULES = 10_000
#: The largest quota, ``times`` or rate limit: far beyond any test, and exact in a float.
MAX_COUNT = 10**12

_NAMES = {"type": "string", "minLength": 1}
_ONE_OR_MANY = {"oneOf": [_NAMES, {"type": "array", "items": _NAMES, "minItems": 1}]}
_DATETIME = {
    "type": "string",
    "description": "ISO 8601 date or date-time; without an offset it is Beijing time",
}
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
#: A Content-Type header value: printable ASCII with no line break, nothing a server could
#: refuse to send (a raw fault's ``text/plain; 中文`` was a 500 under waitress).
_HEADER_VALUE = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "pattern": "^[!-~]([ -~]*[!-~])?$",
    "description": "printable ASCII, no line break, no space at either end",
}
_TIME_OF_DAY = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}
_SECONDS = {"type": "number", "minimum": 0, "maximum": 600}

_WINDOW = {
    "type": "object",
    "description": "a time window: start/end (absolute) and/or daily_start/daily_end",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "start": _DATETIME,
        "end": _DATETIME,
        "daily_start": _TIME_OF_DAY,
        "daily_end": _TIME_OF_DAY,
    },
    "dependentRequired": {"daily_start": ["daily_end"], "daily_end": ["daily_start"]},
}

_OUTCOME = {
    "type": "object",
    "description": "an answer (tenure or error), an HTTP fault, added latency, or a mix",
    "additionalProperties": False,
    "properties": {
        "tenure": {"enum": list(TENURE_CODES)},
        "error": {"enum": list(ERROR_CODES)},
        "reason": {"type": "string", "minLength": 1, "maxLength": 500},
        "detail": {"type": "string", "minLength": 1, "maxLength": 200},
        "fault": {"enum": [kind.value for kind in FaultKind]},
        "status": {
            "type": "integer",
            "minimum": 200,
            "maximum": 599,
            "description": "a final HTTP status (a 1xx is not an answer)",
        },
        "body": {"enum": ["html", "empty"]},
        "chunk": {"type": "integer", "minimum": 1, "maximum": 65536},
        "interval": _SECONDS,
        "json": {"description": "for a raw fault: any JSON value, sent compact, keys in order"},
        "text": {"type": "string", "maxLength": 100000, "description": "for a raw fault"},
        "content_type": _HEADER_VALUE,
        "latency": {
            "oneOf": [
                _SECONDS,
                {"type": "array", "items": _SECONDS, "minItems": 2, "maxItems": 2},
            ]
        },
    },
    "not": {"required": ["tenure", "error"]},
    "dependentRequired": {
        "reason": ["error"],
        "detail": ["error"],
        "status": ["fault"],
        "body": ["fault"],
        "chunk": ["fault"],
        "interval": ["fault"],
        "json": ["fault"],
        "text": ["fault"],
        "content_type": ["fault"],
    },
}

_SELECTORS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "key": _ONE_OR_MANY,
        "mobile": {**_ONE_OR_MANY, "description": "phone numbers or their sha256"},
        "ip": {**_ONE_OR_MANY, "description": "addresses or networks (CIDR)"},
        "method": {
            "oneOf": [
                {"enum": ["GET", "POST"]},
                {"type": "array", "items": {"enum": ["GET", "POST"]}, "minItems": 1},
            ]
        },
        "header": {
            "type": "object",
            "description": "header name -> exact value; all must match",
            "minProperties": 1,
            "additionalProperties": {"type": "string"},
        },
        "window": _WINDOW,
    },
}

_RULE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "when": _SELECTORS,
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "times": {**_COUNT, "minimum": 1},
        "then": _OUTCOME,
        "sequence": {"type": "array", "items": _OUTCOME, "minItems": 1, "maxItems": 1000},
        "cycle": {"type": "boolean"},
    },
    "oneOf": [{"required": ["then"]}, {"required": ["sequence"]}],
}

_KEY_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "error": {"enum": [c for c in ERROR_CODES if c < 100000]},
        "expires": _DATETIME,
        "quota": _COUNT,
        "trial": {"type": "boolean"},
    },
}

_IP_LIST = {"type": "array", "items": _NAMES}

SCENARIO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/juhe-tenure-toolkit/mock_server/scenario.schema.json",
    "title": "juhe-mock scenario document",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "description": {"type": "string", "maxLength": 10000},
        "seed": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        "default": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "answer": {"enum": ["tenure", "no_record"]},
                "weights": {
                    "type": "object",
                    "propertyNames": {"enum": list(TENURE_CODES)},
                    "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1e9},
                    "minProperties": 1,
                },
            },
        },
        "keys": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allow": {"type": "array", "items": _NAMES},
                "quota": _COUNT,
                # Seconds per quota window, windows aligned to midnight Beijing time.
                "quota_window_s": {"type": "number", "minimum": 1, "maximum": 31622400},
                "per_key": {"type": "object", "additionalProperties": _KEY_SETTINGS},
            },
        },
        "ips": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "banned": _IP_LIST,
                "sources": _IP_LIST,
                "rate": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["limit"],
                    "properties": {
                        "limit": _COUNT,
                        "window_s": {"type": "number", "minimum": 0.001, "maximum": 86400},
                    },
                },
            },
        },
        "maintenance": {"type": "array", "items": _WINDOW},
        "internal_errors": {"type": "number", "minimum": 0, "maximum": 1},
        "rules": {"type": "array", "items": _RULE, "maxItems": MAX_RULES},
        "replay": {
            "type": "array",
            "description": "recordings (JSON Lines, docs/recording.md) whose hashes answer as "
            "recorded; a relative path is taken from the document's folder",
            "items": {"type": "string", "minLength": 1, "maxLength": 4096},
            "maxItems": 100,
        },
    },
}

#: The schema of one rule, for ``POST /__admin/scenarios/rules``.
RULE_SCHEMA: dict[str, Any] = {"$schema": SCENARIO_SCHEMA["$schema"], **_RULE}
