"""Everything the client raises, as one tree; an API error's class is chosen by its family.

::

    JuheError                      error_code, reason, body, violations; unknown codes land here
    ├── InvalidKeyError            10001 10002 10003 10004 10005 10009
    ├── QuotaError                 10012 10013
    ├── RateLimitError             10011
    ├── ForbiddenSourceError       10007 10008
    ├── UnavailableError           10020 10021
    ├── ProviderFailureError       234801 234804 10014
    ├── NoRecordError              234803
    ├── InvalidParameterError      234802
    └── TransportError             no usable answer from the API (error_code is None)
        ├── ConnectError           the connection was refused, dropped or could not be made
        ├── RequestTimeout         no answer within the timeout
        ├── HTTPStatusError        an HTTP status other than 200 (the API answers 200 always)
        └── InvalidResponseError   a body that is not JSON or breaks the contract

The codes in each family are not written here by hand: :data:`ERROR_CLASSES` is built from
``contract.ERROR_CODES[code].family``, so a code added to the catalogue finds its class.
Messages carry the code and the API's ``reason``; never the key, never a phone number.
A plaintext number that is not a mainland mobile is refused with :class:`ValueError`
before anything is sent, so that is not part of this tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from contract import ERROR_CODES, ErrorCode, Family, Violation

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
    "TransportError",
    "UnavailableError",
    "error_for",
]


class JuheError(Exception):
    """The API answered with a non-zero ``error_code``, or (subclasses) gave no usable answer.

    :param error_code: the answer's ``error_code``; ``None`` for a :class:`TransportError`.
    :param reason: the answer's ``reason`` text as sent (wording drifts; rely on the code).
    :param body: the decoded answer, when there was one, for logging or contract checks.
    :param violations: where the body breaks the contract (``contract.validate``, lenient).
    """

    family: ClassVar[Family | None] = None

    def __init__(
        self,
        error_code: int | None,
        reason: str,
        body: Mapping[str, Any] | None = None,
        *,
        violations: Sequence[Violation] = (),
    ) -> None:
        self.error_code = error_code
        self.reason = reason
        self.body = body
        self.violations = tuple(violations)
        super().__init__(self._message())

    def _message(self) -> str:
        return f"{self.error_code} {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        # The constructors take more than the message, so the default (cls(*args)) cannot
        # rebuild them: errors cross process pools and task queues by pickle.
        return (_restore, (type(self), self.args, self.__dict__))

    @property
    def entry(self) -> ErrorCode | None:
        """The catalogue entry for the code; ``None`` for codes it does not know."""
        if self.error_code is None:
            return None
        return ERROR_CODES.get(self.error_code)

    @property
    def retryable(self) -> bool:
        """Whether repeating the same call at once (with backoff) can give another answer."""
        entry = self.entry
        return entry is not None and entry.retryable


class InvalidKeyError(JuheError):
    """The key is wrong, expired, banned or not allowed this API: fix the configuration."""

    family = Family.INVALID_KEY


class QuotaError(JuheError):
    """The key's quota is used up: buy more or wait for the next period; never retry now."""

    family = Family.QUOTA


class RateLimitError(JuheError):
    """Too many requests from this IP: slow down and retry later."""

    family = Family.RATE_LIMIT


class ForbiddenSourceError(JuheError):
    """The request source or IP is not allowed: fix the account's IP whitelist."""

    family = Family.FORBIDDEN_SOURCE


class UnavailableError(JuheError):
    """The API is under maintenance or disabled."""

    family = Family.UNAVAILABLE


class ProviderFailureError(JuheError):
    """The carrier or Juhe failed to answer; 234801 is worth retrying at once."""

    family = Family.PROVIDER_FAILURE


class NoRecordError(JuheError):
    """The carrier has no record of the number (not billed)."""

    family = Family.NO_RECORD


class InvalidParameterError(JuheError):
    """The API refused the parameters; the ``reason`` says which."""

    family = Family.INVALID_PARAMETER


class TransportError(JuheError):
    """No usable answer: the request failed in transit or the answer was not the API's.

    :param answered: whether an answer came back. A garbled answer may have been billed
        and is never retried.
    :param sent: whether the request may have reached the API before the fault (a read
        timeout, a gateway's 5xx, a connection cut mid-request): then it may have been
        billed too, and is retried only when the caller opts in (``retry_unsafe``). Only a
        fault before anything was sent (refused, no route, a connect timeout) is safe to
        retry. Each class has its own default: a :class:`ConnectError` was not sent.
    """

    #: Whether a fault of this class leaves the request possibly sent, unless told.
    sent_by_default: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        body: Mapping[str, Any] | None = None,
        *,
        answered: bool = False,
        status: int | None = None,
        violations: Sequence[Violation] = (),
        sent: bool | None = None,
    ) -> None:
        self.answered = answered
        self.status = status
        self.sent = self.sent_by_default if sent is None else sent
        super().__init__(None, message, body, violations=violations)

    def _message(self) -> str:
        return self.reason

    @property
    def retryable(self) -> bool:
        """Whether it is safe to retry: nothing came back and nothing can have been billed."""
        return not self.answered and not self.sent


class ConnectError(TransportError):
    """The connection was refused, could not be made, or was cut (``sent`` says whether the
    request may have gone out before that)."""

    sent_by_default = False


class RequestTimeout(TransportError):
    """No answer within the timeout (``sent`` False only for a connect timeout)."""


class HTTPStatusError(TransportError):
    """An HTTP status other than 200; a 5xx comes from a gateway, not from the API, after the
    request was sent."""


class InvalidResponseError(TransportError):
    """The body is not JSON, or breaks the contract; ``violations`` says where."""

    def _message(self) -> str:
        if not self.violations:
            return self.reason
        first = self.violations[0]
        more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return f"{self.reason}: {first.field}: {first.message}{more}"


def _restore(cls: type[JuheError], args: tuple[Any, ...], state: dict[str, Any]) -> JuheError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


#: The exception class for each family; a test proves every family has exactly one.
FAMILY_CLASSES: Mapping[Family, type[JuheError]] = MappingProxyType(
    {
        cls.family: cls
        for cls in (
            InvalidKeyError,
            QuotaError,
            RateLimitError,
            ForbiddenSourceError,
            UnavailableError,
            ProviderFailureError,
            NoRecordError,
            InvalidParameterError,
        )
        if cls.family is not None
    }
)

#: The exception class for every catalogued ``error_code``, derived from its family.
ERROR_CLASSES: Mapping[int, type[JuheError]] = MappingProxyType(
    {code: FAMILY_CLASSES[entry.family] for code, entry in ERROR_CODES.items()}
)


def error_for(
    error_code: int,
    reason: str,
    body: Mapping[str, Any] | None = None,
    *,
    violations: Sequence[Violation] = (),
) -> JuheError:
    """The exception for an API error answer; an unknown code gives the base :class:`JuheError`."""
    cls = ERROR_CLASSES.get(error_code, JuheError)
    return cls(error_code, reason, body, violations=violations)
