"""The juhe plugin's options, and where the target and the key come from.

``--juhe-target`` defaults to ``JUHE_TARGET``, else ``JUHE_BASE_URL``, else the in-process
mock; the key is ``--juhe-key`` or ``JUHE_KEY``. Imported by :mod:`.pytest_plugin`, which
pytest loads by its entry point; the hook ``pytest_addoption`` is found there.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["key_of", "pytest_addoption", "target_from_env", "target_named_by"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("juhe", "Juhe tenure API: mock, contract target and spend budget")
    add = group.addoption
    add("--juhe-target", default=target_from_env(), metavar="mock|URL|live",
        help="where juhe_target sends requests (default: JUHE_TARGET or JUHE_BASE_URL, "
        "else the in-process mock); a URL is live unless its /__admin/health says "
        "juhe-mock")  # fmt: skip
    add("--juhe-key", default=None, help="the API key (better: JUHE_KEY)")
    add("--juhe-budget", type=int, default=None, metavar="N",
        help="most billable calls the run may make, all workers together (default: 0 for "
        "live, no limit for the mock). Every request carrying the key reserves a unit and "
        "gets it back when the answer is free: 0 sends nothing with the key")  # fmt: skip
    add(
        "--juhe-ledger",
        default=None,
        metavar="FILE",
        help="a spend ledger kept across runs (docs/live.md), shared with juhe-contract",
    )
    add("--juhe-day-cap", type=int, default=None, metavar="N", help="the ledger's daily cap")
    add("--juhe-month-cap", type=int, default=None, metavar="N",
        help="the ledger's monthly cap")  # fmt: skip
    add(
        "--juhe-seed",
        type=int,
        default=None,
        metavar="N",
        help="the seed of the inputs sent to a live target (default: new, printed)",
    )
    add("--juhe-plan", action="store_true",
        help="send nothing: run against a simulation and list every request the run would "
        "make and what it needs from the budget (exit 1 when more than it has)")  # fmt: skip
    add("--juhe-record", default=None, metavar="FILE",
        help="append every answer juhe_target receives to a recording (JSON Lines, "
        "docs/recording.md): key fingerprints and hashes only; not in a --juhe-plan "
        "run")  # fmt: skip
    add(
        "--juhe-canaries",
        default=None,
        metavar="FILE",
        help="known answers for semantic drift (or JUHE_CANARIES: a path or the JSON)",
    )
    add(
        "--juhe-examples",
        type=int,
        default=None,
        metavar="N",
        help="Hypothesis examples per contract property (default: the profile's; live: few)",
    )
    add(
        "--juhe-strict",
        action="store_true",
        help="judge a URL target as strictly as our own mock (default: tolerant, as live)",
    )


_TARGET_VARIABLES = ("JUHE_TARGET", "JUHE_BASE_URL")


def target_from_env() -> str:
    """``--juhe-target``'s default: ``JUHE_TARGET``, else ``JUHE_BASE_URL`` (a CI service's
    address, docs/ci-service.md), else the in-process mock."""
    for name in _TARGET_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return "mock"


def target_named_by(config: pytest.Config) -> str:
    """Where the target came from, for messages: the option, or the variable that gave it."""
    given = any(str(arg).startswith("--juhe-target") for arg in config.invocation_params.args)
    variables = [name for name in _TARGET_VARIABLES if os.environ.get(name, "").strip()]
    return variables[0] if variables and not given else "--juhe-target"


def key_of(config: pytest.Config) -> str | None:
    return config.getoption("juhe_key") or os.environ.get("JUHE_KEY") or None
