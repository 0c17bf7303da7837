"""The vendor's clock: orderids, daily quotas and naive date-times are Beijing time (UTC+8)."""

from __future__ import annotations

from datetime import timedelta, timezone

__all__ = ["BEIJING"]

#: China Standard Time; no daylight saving, so a fixed offset is exact.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
