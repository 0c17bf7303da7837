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

from typing import TYPE_CHECKING, Any

from . import schemas
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
from .validate import Report, Violation, validate, validate_report

if TYPE_CHECKING:
    from . import strategies


def __getattr__(name: str) -> Any:
    # The strategies import Hypothesis; ``import contract`` in the mock and the client
    # does not pay for that until someone asks for ``contract.strategies``.
    if name == "strategies":
        import importlib

        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
