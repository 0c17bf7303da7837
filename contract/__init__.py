"""The contract of Juhe's 在网时长 sha256 (China Unicom) API: the single source of truth.

``import contract`` gives the catalogue of codes, the wire bodies, number hashing, the
magic test numbers, the key's fingerprint and scrubber, the JSON Schemas
(``contract.schemas``), ``validate`` and the Hypothesis strategies (``contract.strategies``,
imported on first use). The mock server and the client learn everything about the API here.
The conformance runner (``contract.conformance``: budget, probes, reports, the
``juhe-contract`` CLI, the pytest plugin's target) checks a server against this truth; the
truth never imports it.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from .bodies import error_body, success_body
from .codes import (
    BASE_URL,
    ENDPOINT,
    ERROR_CODES,
    PATH,
    SUCCESS_CODE,
    SUCCESS_REASON,
    TENURE_CODES,
    ErrorCode,
    ErrorKind,
    Family,
    RetryAdvice,
    TenureCode,
    error_code,
    is_billed,
    tenure_code,
)
from .keys import KEY_PLACEHOLDER, key_digest, key_fingerprint, scrub_key
from .magic import MAGIC_BY_HASH, MAGIC_NUMBERS, MagicNumber, magic_number
from .media import FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, JSONP_CALLBACK_PATTERN, JSONP_CONTENT_TYPE
from .numbers import CUCC_PREFIXES, is_mobile_sha256, mobile_sha256, normalize_mobile

if TYPE_CHECKING:
    from . import schemas, strategies
    from .validate import Report, Violation, validate, validate_report

#: Names imported on first use, and where they live. The strategies import Hypothesis,
#: the schemas and ``validate`` import jsonschema: the mock answering a request needs
#: none of them, and its start-up should not pay for them (``docs/architecture.md``).
_LAZY = {
    "schemas": None,
    "strategies": None,
    "Report": "validate",
    "Violation": "validate",
    "validate": "validate",
    "validate_report": "validate",
}


class _Package(types.ModuleType):
    """``contract`` itself. Importing the submodule ``contract.validate`` binds it on the
    package; the package's ``validate`` is and stays that module's function (as when it was
    imported eagerly), whichever is imported first."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "validate" and isinstance(value, types.ModuleType):
            value = value.validate
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    home = _LAZY[name]
    if home is None:
        value: Any = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BASE_URL",
    "CUCC_PREFIXES",
    "ENDPOINT",
    "ERROR_CODES",
    "FORM_CONTENT_TYPE",
    "JSONP_CALLBACK_PATTERN",
    "JSONP_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "KEY_PLACEHOLDER",
    "MAGIC_BY_HASH",
    "MAGIC_NUMBERS",
    "PATH",
    "SUCCESS_CODE",
    "SUCCESS_REASON",
    "TENURE_CODES",
    "ErrorCode",
    "ErrorKind",
    "Family",
    "MagicNumber",
    "Report",
    "RetryAdvice",
    "TenureCode",
    "Violation",
    "error_body",
    "error_code",
    "is_billed",
    "is_mobile_sha256",
    "key_digest",
    "key_fingerprint",
    "magic_number",
    "mobile_sha256",
    "normalize_mobile",
    "schemas",
    "scrub_key",
    "strategies",
    "success_body",
    "tenure_code",
    "validate",
    "validate_report",
]
