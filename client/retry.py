"""When to retry and how long to wait: small pure functions, as in stripe-python.

Only two things are retried by default: 234801 ("服务商网络异常，请重试", the API's own
"retry"), and transport faults before the request was sent (the connection refused or
never made, a connect timeout). A fault after it was sent (a read timeout, a gateway's
5xx, a connection cut mid-request) may have been billed, so retrying it is opt-in
(``retry_unsafe=True``): it may bill twice. Nothing else is retried: an answer with
``error_code`` 0 was billed, quota and key errors give the same answer again, and a
garbled answer may have been billed too.

Attempts are capped (``max_retries``) and so is the total time: a retry whose wait would
end after ``max_total_time`` seconds from the first attempt is not made, so a call lasts at
most that long plus one request's timeout.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .errors import JuheError, TransportError

__all__ = ["RetryPolicy", "add_jitter", "backoff_seconds", "should_retry", "within_time"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, how far apart, and how long in all.

    :param max_retries: retries after the first attempt (0 turns retrying off).
    :param initial_delay: the wait before the first retry, before jitter, in seconds.
    :param max_delay: the longest single wait, before jitter.
    :param max_total_time: no retry starts a wait that would end later than this many
        seconds after the first attempt began.
    :param retry_unsafe: also retry faults after the request was sent (a read timeout, a
        gateway's 5xx), which may have been billed: a retry may bill twice.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_total_time: float = 30.0
    retry_unsafe: bool = False

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_total_time < 0:
            raise ValueError("retry delays and times must be 0 or more")


def should_retry(error: JuheError, retries_done: int, policy: RetryPolicy) -> bool:
    """Whether the call that raised ``error`` is worth making again.

    :param retries_done: how many retries were made already (0 after the first attempt).
    """
    if retries_done >= policy.max_retries:
        return False
    if isinstance(error, TransportError):
        # An answer that came back but could not be used may have been billed; so may a
        # request that was sent and never answered.
        if error.answered:
            return False
        return policy.retry_unsafe or not error.sent
    return error.retryable


def add_jitter(seconds: float, rand: Callable[[], float] = random.random) -> float:
    """A wait between half and all of ``seconds``, so that clients that failed together
    do not retry together; ``rand`` gives a float in [0, 1) (pinned in tests)."""
    return seconds * 0.5 * (1.0 + rand())


def backoff_seconds(
    retries_done: int,
    policy: RetryPolicy,
    jitter: Callable[[float], float] | None = None,
) -> float:
    """The wait before retry number ``retries_done + 1``: doubling, capped, then jittered.

    :param jitter: by default :func:`add_jitter`, looked up when called so that a test
        can pin it with ``monkeypatch.setattr(client.retry, "add_jitter", ...)``.
    """
    base = min(policy.initial_delay * (2.0**retries_done), policy.max_delay)
    return (jitter or add_jitter)(base)


def within_time(elapsed: float, wait: float, policy: RetryPolicy) -> bool:
    """Whether waiting ``wait`` more seconds after ``elapsed`` stays in the total-time cap."""
    return elapsed + wait <= policy.max_total_time
