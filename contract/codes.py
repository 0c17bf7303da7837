"""The catalogue: every tenure code and every error code of the API, once.

Everything else in the toolkit (schemas, the mock's wire bodies, the client's exception
classes, the docs tables, the fixtures) is derived from this module or checked against it
by a test. Words are the vendor document's own (``juhe-mobile-online-sha256-cucc.md``,
2025-04-26); wire details beyond it are stated in ``docs/wire.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

__all__ = [
    "BASE_URL",
    "BILLED_METHODS",
    "ENDPOINT",
    "ERROR_CODES",
    "PATH",
    "SUCCESS_CODE",
    "SUCCESS_REASON",
    "TENURE_CODES",
    "ErrorCode",
    "ErrorKind",
    "Family",
    "RetryAdvice",
    "TenureCode",
    "error_code",
    "is_billed",
    "tenure_code",
]

#: HTTPS: the key is a secret and the vendor's hosts serve TLS (docs/wire.md).
BASE_URL = "https://apis.juhe.cn"
PATH = "/mobile_online_sha256_cucc/query"
ENDPOINT = BASE_URL + PATH

SUCCESS_CODE = 0
SUCCESS_REASON = "成功"


#: The methods whose answer can be billed: a HEAD carries no answer back, so it never is.
BILLED_METHODS = frozenset({"GET", "POST"})


def is_billed(error_code: int, method: str = "GET") -> bool:
    """Whether an answer with this ``error_code`` is billed: only 0 is ("仅返回0时计费"),
    and only to a GET or a POST (:data:`BILLED_METHODS`)."""
    return error_code == SUCCESS_CODE and method in BILLED_METHODS


# --- tenure codes -----------------------------------------------------------------------


@dataclass(frozen=True)
class TenureCode:
    """One value of ``result.code``: how long the number has been on the network.

    The month range is ``(months_above, months_up_to]``: the lower bound exclusive, the
    upper inclusive (``(0,3]`` includes 3 months). ``months_up_to`` is ``None`` for the
    open-ended code 5; both are ``None`` for 99, which is a state, not a range.
    """

    code: str
    months_above: int | None
    months_up_to: int | None
    words: str
    english: str

    @property
    def is_range(self) -> bool:
        """False for 99 (left the network / abnormal state), True for 1-5."""
        return self.months_above is not None

    def contains(self, months: int) -> bool:
        """Whether a tenure of ``months`` full months falls in this code's range."""
        if self.months_above is None:
            return False
        if months <= self.months_above:
            return False
        return self.months_up_to is None or months <= self.months_up_to


_TENURE = (
    TenureCode("1", 0, 3, "(0,3] 个月（包含3个月入网）", "up to 3 months (3 months included)"),
    TenureCode("2", 3, 6, "(3,6] 个月", "more than 3, up to 6 months"),
    TenureCode("3", 6, 12, "(6,12] 个月", "more than 6, up to 12 months"),
    TenureCode("4", 12, 24, "(12,24]个月", "more than 12, up to 24 months"),
    TenureCode("5", 24, None, "(24,+) 个月", "more than 24 months"),
    TenureCode(
        "99",
        None,
        None,
        "T-1月前已离网/手机状态异常",
        "left the network before month T-1, or the number is in an abnormal state",
    ),
)

#: Every tenure code by its wire string, in the document's order.
TENURE_CODES: Mapping[str, TenureCode] = MappingProxyType({t.code: t for t in _TENURE})


def tenure_code(code: str) -> TenureCode:
    """The tenure code for a wire string; :raises KeyError: for a code the API never sends."""
    return TENURE_CODES[code]


# --- error codes ------------------------------------------------------------------------


class ErrorKind(str, Enum):
    """Service errors (2348xx) are the API's own; system errors (100xx) are Juhe's platform's.

    The two have different wire shapes: a system error carries the legacy ``resultcode``.
    """

    SERVICE = "service"
    SYSTEM = "system"


class RetryAdvice(str, Enum):
    """Whether repeating the same call can give another answer."""

    NOW = "now"  # a transient fault: retry with backoff (234801 says "请重试")
    LATER = "later"  # a limit or a window: only after it passes, never in a tight loop
    NEVER = "never"  # the same call gives the same answer


class Family(str, Enum):
    """What a caller does about an error; the client has one exception class per family."""

    INVALID_KEY = "invalid_key"
    QUOTA = "quota"
    RATE_LIMIT = "rate_limit"
    FORBIDDEN_SOURCE = "forbidden_source"
    UNAVAILABLE = "unavailable"
    PROVIDER_FAILURE = "provider_failure"
    NO_RECORD = "no_record"
    INVALID_PARAMETER = "invalid_parameter"


@dataclass(frozen=True)
class ErrorCode:
    """One non-zero ``error_code``.

    ``reason`` is the default wire text: the document's words for the code. For 234802 and
    234804 the wire text is ``reason`` + ``detail_separator`` + the specific problem, and
    ``default_detail`` is what our mock says when nothing more specific applies.
    ``variants`` are other wordings seen live (docs/wire.md); a live check must tolerate them
    and any other wording, since only ``error_code`` and the shape are stable.
    """

    code: int
    name: str
    kind: ErrorKind
    family: Family
    words: str
    english: str
    reason: str
    resultcode: str | None
    retry: RetryAdvice
    default_detail: str | None = None
    variants: tuple[str, ...] = ()

    detail_separator = ":"

    @property
    def retryable(self) -> bool:
        """Whether an immediate retry (with backoff) can help."""
        return self.retry is RetryAdvice.NOW

    @property
    def billed(self) -> bool:
        """Never: only ``error_code`` 0 is billed."""
        return is_billed(self.code)

    @property
    def takes_detail(self) -> bool:
        """Whether the wire ``reason`` names the specific problem after the words."""
        return self.default_detail is not None

    def wire_reason(self, detail: str | None = None) -> str:
        """The default ``reason`` on the wire, with ``detail`` for 234802/234804."""
        if not self.takes_detail:
            return self.reason
        return f"{self.reason}{self.detail_separator}{detail or self.default_detail}"


def _service(
    code: int,
    name: str,
    family: Family,
    words: str,
    english: str,
    reason: str,
    retry: RetryAdvice = RetryAdvice.NEVER,
    default_detail: str | None = None,
    variants: tuple[str, ...] = (),
) -> ErrorCode:
    return ErrorCode(
        code, name, ErrorKind.SERVICE, family, words, english, reason, None, retry,
        default_detail, variants,
    )  # fmt: skip


def _system(
    code: int,
    name: str,
    family: Family,
    words: str,
    english: str,
    retry: RetryAdvice = RetryAdvice.NEVER,
    variants: tuple[str, ...] = (),
) -> ErrorCode:
    # The legacy resultcode is the code without its leading "10", as a string: 10001 -> "101".
    legacy = str(100 + code % 100)
    return ErrorCode(
        code, name, ErrorKind.SYSTEM, family, words, english, words, legacy, retry,
        variants=variants,
    )  # fmt: skip


_ERRORS = (
    _service(
        234801, "PROVIDER_NETWORK_ERROR", Family.PROVIDER_FAILURE,
        "服务商网络异常，请重试", "provider network error, please retry",
        "服务商网络异常，请重试", RetryAdvice.NOW,
    ),
    _service(
        234802, "INVALID_PARAMETER", Family.INVALID_PARAMETER,
        "参数错误，具体请看 reason", "invalid parameter; the reason says which",
        "参数错误", default_detail="mobile格式错误",
    ),
    _service(
        234803, "NO_RECORD", Family.NO_RECORD,
        "查无记录", "no record for this number",
        "查无记录", variants=("查询无此记录",),
    ),
    _service(
        234804, "QUERY_FAILED", Family.PROVIDER_FAILURE,
        "查询失败，具体请看 reason", "query failed; the reason says why",
        "查询失败", default_detail="运营商查询失败",
    ),
    _system(10001, "INVALID_KEY", Family.INVALID_KEY, "错误的请求KEY", "invalid request key",
            variants=("错误的请求KEY!",)),
    _system(10002, "NO_PERMISSION", Family.INVALID_KEY, "该KEY无请求权限",
            "this key has no permission for the API"),
    _system(10003, "KEY_EXPIRED", Family.INVALID_KEY, "KEY过期", "the key has expired"),
    _system(10004, "INVALID_OPENID", Family.INVALID_KEY, "错误的OPENID", "invalid OPENID"),
    _system(10005, "APP_REVIEW_TIMEOUT", Family.INVALID_KEY, "应用未审核超时，请提交认证",
            "the application was not reviewed in time; submit it for verification"),
    _system(10007, "UNKNOWN_SOURCE", Family.FORBIDDEN_SOURCE, "未知的请求源",
            "unknown request source"),
    _system(10008, "IP_BANNED", Family.FORBIDDEN_SOURCE, "被禁止的IP", "the IP is banned"),
    _system(10009, "KEY_BANNED", Family.INVALID_KEY, "被禁止的KEY", "the key is banned"),
    _system(10011, "IP_RATE_LIMITED", Family.RATE_LIMIT, "当前IP请求超过限制",
            "too many requests from this IP", RetryAdvice.LATER),
    _system(10012, "QUOTA_EXCEEDED", Family.QUOTA, "请求超过次数限制",
            "the key's request quota is used up", RetryAdvice.LATER,
            variants=("超过每日可允许请求次数!", "当前可请求的次数不足")),
    _system(10013, "TRIAL_QUOTA_EXCEEDED", Family.QUOTA, "测试KEY超过请求限制",
            "the trial key's request quota is used up"),
    _system(10014, "INTERNAL_ERROR", Family.PROVIDER_FAILURE,
            "系统内部异常(调用充值类业务时，请务必联系客服或通过订单查询接口检测订单，避免造成损失)",
            "internal system error", RetryAdvice.LATER),
    _system(10020, "MAINTENANCE", Family.UNAVAILABLE, "接口维护", "the API is under maintenance",
            RetryAdvice.LATER),
    _system(10021, "API_DISABLED", Family.UNAVAILABLE, "接口停用", "the API is disabled"),
)  # fmt: skip

#: Every error code by its integer value: 4 service errors, then 14 system errors.
ERROR_CODES: Mapping[int, ErrorCode] = MappingProxyType({e.code: e for e in _ERRORS})


def error_code(code: int) -> ErrorCode:
    """The catalogue entry for a non-zero ``error_code``; :raises KeyError: if unknown."""
    return ERROR_CODES[code]
