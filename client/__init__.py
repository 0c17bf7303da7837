"""The reference client for Juhe's 在网时长 sha256 (China Unicom) API.

::

    from client import TenureClient

    with TenureClient(key) as api:
        result = api.query("+86 130-0000-0003")
        print(result.code.value, result.months_above, result.months_up_to, result.orderid)

Numbers are normalised and hashed in the process; only the sha256 is sent, with the key
in a POST form body (``method="GET"`` opts into query parameters). Errors are
:class:`JuheError` subclasses, one per family of codes (see :mod:`client.errors`).
"""

from __future__ import annotations

from .client import TenureClient, hash_mobile, key_fingerprint
from .errors import (
    ERROR_CLASSES,
    FAMILY_CLASSES,
    ConnectError,
    ForbiddenSourceError,
    HTTPStatusError,
    InvalidKeyError,
    InvalidParameterError,
    InvalidResponseError,
    JuheError,
    NoRecordError,
    ProviderFailureError,
    QuotaError,
    RateLimitError,
    RequestTimeout,
    TransportError,
    UnavailableError,
    error_for,
)
from .models import Tenure, TenureResult
from .retry import RetryPolicy

__all__ = [
    "ERROR_CLASSES",
    "FAMILY_CLASSES",
    "ConnectError",
    "ForbiddenSourceError",
    "HTTPStatusError",
    "InvalidKeyError",
    "InvalidParameterError",
    "InvalidResponseError",
    "JuheError",
    "NoRecordError",
    "ProviderFailureError",
    "QuotaError",
    "RateLimitError",
    "RequestTimeout",
    "RetryPolicy",
    "Tenure",
    "TenureClient",
    "TenureResult",
    "TransportError",
    "UnavailableError",
    "error_for",
    "hash_mobile",
    "key_fingerprint",
]
