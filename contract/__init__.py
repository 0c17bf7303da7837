"""The contract of Juhe's 在网时长 sha256 (China Unicom) API: the single source of truth.

``import contract`` gives the catalogue of codes, the wire bodies, number hashing and the
magic test numbers. The mock server and the client learn everything about the API here.
"""

from __future__ import annotations

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
from .magic import MAGIC_BY_HASH, MAGIC_NUMBERS, MagicNumber, magic_number
from .numbers import CUCC_PREFIXES, is_mobile_sha256, mobile_sha256, normalize_mobile

__all__ = [
    "BASE_URL",
    "CUCC_PREFIXES",
    "ENDPOINT",
    "ERROR_CODES",
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
    "RetryAdvice",
    "TenureCode",
    "error_body",
    "error_code",
    "is_billed",
    "is_mobile_sha256",
    "magic_number",
    "mobile_sha256",
    "normalize_mobile",
    "success_body",
    "tenure_code",
]
