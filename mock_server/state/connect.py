"""Opening the store a URL names: none (this process's memory) or Redis."""

from __future__ import annotations

from typing import Any

from .store import StateUnavailable, Store

__all__ = ["STATE_SCHEMES", "StateError", "open_store"]

STATE_SCHEMES = ("redis://", "rediss://", "unix://")


class StateError(Exception):
    """The shared state cannot be used; the message is one line for the command line."""


def open_store(
    url: str | None,
    namespace: str,
    *,
    journal_size: int | None = None,
    ledger_keys: int | None = None,
    timeout_s: float | None = None,
) -> Store | None:
    """The store behind ``--state``: None (memory, the app's default) or a RedisStore.

    :raises StateError: the URL is unusable or Redis does not answer (a one-line message).
    """
    if not url:
        return None
    if not url.startswith(STATE_SCHEMES):
        raise StateError(f"--state: {url!r} is not a redis://HOST:PORT/DB URL")
    from .redis_store import RedisStore

    # Orderid numbers are reserved 16 at a time: one round trip per 16 successes.
    options: dict[str, Any] = {"orderid_block": 16}
    for name, value in (
        ("journal_size", journal_size), ("ledger_keys", ledger_keys), ("timeout_s", timeout_s)
    ):  # fmt: skip
        if value is not None:
            options[name] = value
    try:
        return RedisStore(url, namespace, **options)
    except ValueError as error:
        raise StateError(f"--namespace: {error}") from None
    except StateUnavailable as error:
        raise StateError(f"--state: {error}") from None
