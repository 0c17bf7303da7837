"""Opening the store a URL names: none (this process's memory) or Redis."""

from __future__ import annotations

from typing import Any

from .store import StateUnavailable, Store

__all__ = ["STATE_SCHEMES", "StateError", "open_store"]

STATE_SCHEMES = ("redis://", "rediss://", "unix://")


class StateError(Exception):
    """The shared state cannot be used; the message is one line for the command line."""


def open_store(url: str | None, namespace: str, *, journal_size: int | None = None) -> Store | None:
    """The store behind ``--state``: None (memory, the app's default) or a RedisStore.

    :raises StateError: the URL is unusable or Redis does not answer (a one-line message).
    """
    if not url:
        return None
    if not url.startswith(STATE_SCHEMES):
        raise StateError(f"--state: {url!r} is not a redis://HOST:PORT/DB URL")
    from .redis_store import RedisStore

    # The mock appends every request to the journal right after billing it, so bills can
    # ride along with that append (one round trip fewer per billed answer).
    # Orderid numbers are reserved 16 at a time: one round trip per 16 successes.
    options: dict[str, Any] = {"coalesce_bills": True, "orderid_block": 16}
    if journal_size is not None:
        options["journal_size"] = journal_size
    try:
        return RedisStore(url, namespace, **options)
    except ValueError as error:
        raise StateError(f"--namespace: {error}") from None
    except StateUnavailable as error:
        raise StateError(f"--state: {error}") from None
