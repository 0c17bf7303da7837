"""The exact wire bodies, key order included, and their bytes (docs/wire.md).

success:       {"reason": "成功", "result": {"code": "3", "orderid": "J..."}, "error_code": 0}
system error:  {"resultcode": "101", "reason": "错误的请求KEY", "result": null, "error_code": 10001}
service error: {"reason": "查无记录", "result": null, "error_code": 234803}
"""

from __future__ import annotations

import json
from typing import Any

from .codes import ERROR_CODES, SUCCESS_CODE, SUCCESS_REASON, TENURE_CODES, ErrorKind

__all__ = ["error_body", "success_body", "wire_json"]


def wire_json(value: Any) -> bytes:
    """``value`` as the API writes JSON: compact, UTF-8, nothing escaped to ASCII."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def success_body(code: str, orderid: str) -> dict[str, Any]:
    """A success answer for tenure ``code``; :raises KeyError: for an unknown code."""
    TENURE_CODES[code]
    return {
        "reason": SUCCESS_REASON,
        "result": {"code": code, "orderid": orderid},
        "error_code": SUCCESS_CODE,
    }


def error_body(
    code: int, reason: str | None = None, *, detail: str | None = None
) -> dict[str, Any]:
    """An error answer in its kind's shape.

    :param reason: the whole ``reason`` text; by default the catalogue's wire reason.
    :param detail: for 234802/234804, the specific problem after the words.
    :raises KeyError: for a code the catalogue does not know.
    """
    entry = ERROR_CODES[code]
    text = reason if reason is not None else entry.wire_reason(detail)
    if entry.kind is ErrorKind.SYSTEM:
        return {"resultcode": entry.resultcode, "reason": text, "result": None, "error_code": code}
    return {"reason": text, "result": None, "error_code": code}
