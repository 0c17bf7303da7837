"""A chart of req/s and p99 against concurrency, one line per server (matplotlib, PNG).

matplotlib is a dev dependency; without it the chart is skipped with a note."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw(results: dict[str, dict[str, Any]], path: Path, title: str) -> str | None:
    """Write the chart to ``path``; returns a note when it could not be drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install -e '.[dev]')"
    figure, (rate, tail) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, result in results.items():
        loads = result.get("load") or {}
        levels = sorted(int(c) for c in loads)
        if not levels:
            continue
        rate.plot(levels, [loads[str(c)]["rps"] for c in levels], marker="o", label=name)
        tail.plot(levels, [loads[str(c)]["p99_ms"] for c in levels], marker="o", label=name)
    for axis, label in ((rate, "requests per second (median of rounds)"),
                        (tail, "p99 latency, ms (median of rounds)")):  # fmt: skip
        axis.set_xscale("log")
        axis.set_xlabel("concurrent keep-alive connections")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    tail.set_yscale("log")
    rate.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None
