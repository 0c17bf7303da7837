"""The one request every server answers, and what counts as its correct answer."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from contract import MAGIC_NUMBERS, PATH, success_body

#: The magic number whose hash the mock answers with tenure "3", whatever its scenarios.
PHONE = "13000000003"
MOBILE_HASH = MAGIC_NUMBERS[PHONE].sha256
TENURE = "3"
#: A well-formed key (32 hex characters); no key is ever a real one.
DEFAULT_KEY = "0123456789abcdef0123456789abcdef"
#: The fixed answer WireMock and the bare stub give (a static server cannot mint orderids).
STATIC_ORDERID = "J202401011200000001"
STATIC_BODY: dict[str, Any] = success_body(TENURE, STATIC_ORDERID)


def query_path(key: str = DEFAULT_KEY) -> str:
    """The request path with its query string: ``/mobile_online_sha256_cucc/query?...``."""
    return f"{PATH}?{urlencode({'key': key, 'mobile': MOBILE_HASH})}"


def static_body_bytes() -> bytes:
    """The static success body as compact UTF-8 JSON, as the stub and WireMock send it."""
    return json.dumps(STATIC_BODY, ensure_ascii=False, separators=(",", ":")).encode()


def is_correct(status: int, payload: bytes) -> bool:
    """True for a 200 success answer with tenure "3" (any orderid)."""
    if status != 200:
        return False
    try:
        body = json.loads(payload)
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("error_code") == 0
        and isinstance(body.get("result"), dict)
        and body["result"].get("code") == TENURE
    )
