"""The guard proxy the settings ask for (``upstream``, ``cache_ttl``, the budgets, ``ledger``,
``record``), and what it says when it starts."""

from __future__ import annotations

import os
from collections.abc import Callable

from contract import BASE_URL
from contract.errors import DocumentError
from contract.transport import cleartext_warning

from ..config import MockConfig, SettingsError
from ..state.store import Store
from .guard import GuardProxy
from .spend import LedgerSpend, Spend, StoreSpend
from .upstream import Secret, Upstream

__all__ = ["KEY_VARIABLE", "build_proxy", "start_notes", "upstream_url"]

#: Where the proxy's own key comes from: its environment, never the apps behind it.
KEY_VARIABLE = "JUHE_KEY"


def upstream_url(upstream: str) -> str:
    """``live`` is the vendor (``contract.BASE_URL``, HTTPS); anything else is a URL."""
    return BASE_URL if upstream == "live" else upstream.rstrip("/")


def build_proxy(
    settings: MockConfig,
    store: Store,
    key: str | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> GuardProxy:
    """The proxy for ``settings.upstream``, with ``key`` (default: ``JUHE_KEY``).

    :raises SettingsError: no key, an unusable ledger or recording file (one line).
    """
    assert settings.upstream is not None
    key = key if key is not None else os.environ.get(KEY_VARIABLE)
    if not key or not key.strip():
        raise SettingsError(
            f"--upstream: the upstream's key comes from {KEY_VARIABLE} in the proxy's own "
            "environment, and it is not set (apps behind the proxy never send it)"
        )
    day, month = settings.budget_per_day, settings.budget_per_month
    try:
        spend: Spend = (
            LedgerSpend(settings.ledger, day, month, settings.clock)
            if settings.ledger else StoreSpend(store, day, month)
        )  # fmt: skip
        recorder = None
        if settings.record:
            from contract.conformance.recorder import Recorder

            recorder = Recorder(settings.record, source="juhe-mock-proxy", key=key)
    except DocumentError as error:
        option = "--ledger" if settings.ledger and str(error).startswith(settings.ledger) else (
            "--record")  # fmt: skip
        raise SettingsError(f"{option}: {error}") from None
    try:
        upstream = Upstream(upstream_url(settings.upstream), Secret(key), settings.upstream_timeout)
    except RuntimeError as error:  # httpx missing
        raise SettingsError(f"--upstream: {error}") from None
    return GuardProxy(
        upstream, store, spend, cache_ttl=settings.cache_ttl, key=key, recorder=recorder,
        clock=settings.clock, stopping=stopping,
    )  # fmt: skip


def _cap(cap: int | None) -> str:
    return "none" if cap is None else str(cap)


def start_notes(settings: MockConfig, proxy: GuardProxy) -> list[str]:
    """The lines ``juhe-mock --upstream`` prints on stderr as it starts."""
    notes = [
        f"guard proxy for {proxy.upstream.label}: cache {settings.cache_ttl:g} s, budget "
        f"per day {_cap(settings.budget_per_day)}, per month "
        f"{_cap(settings.budget_per_month)} (kept in {proxy.spend.where})"
    ]
    warning = cleartext_warning(proxy.upstream.base_url)
    if warning:
        notes.append(f"warning: {warning}")
    if settings.budget_per_day is None and settings.budget_per_month is None:
        notes.append(
            "warning: no budget: every lookup the cache cannot answer is paid; "
            "--budget-per-day N / --budget-per-month N cap them"
        )
    elif proxy.spend.where == "memory":
        notes.append(
            "warning: the budget is counted in this process's memory: a restart starts the "
            "day afresh; --ledger FILE or --state redis:// keeps it"
        )
    return notes
