"""The import-time budget of a start: what ``juhe-mock`` imports before its first answer,
measured with ``python -X importtime``, and the modules that cost the most."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

#: What a default ``juhe-mock`` imports to serve its first plain answer.
START_IMPORTS = (
    "mock_server.serve.cli, mock_server.serve.loop, mock_server.serve.cut, "
    "mock_server.serve.logs, mock_server.web.door_async, mock_server.web.setup, "
    "granian.server.embed"
)


def budget(top: int = 12, runs: int = 3) -> dict[str, Any]:
    """The total import time (median of ``runs``) and the ``top`` costliest modules (their
    own time, from the median run), in milliseconds."""
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {START_IMPORTS}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        rows = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(own), int(cumulative), name.rstrip()))
        total = sum(own for own, _, _ in rows)
        results.append((total, rows))
    results.sort(key=lambda r: r[0])
    total, rows = results[len(results) // 2]
    heavy = sorted(rows, reverse=True)[:top]
    roots = [(c, n.strip()) for _, c, n in rows if not n.startswith("  ")]
    return {
        "total_ms": total / 1000,
        "top_self_ms": [{"module": n.strip(), "self_ms": o / 1000} for o, _, n in heavy],
        "roots_ms": [{"module": n, "cumulative_ms": c / 1000} for c, n in sorted(roots)[::-1]],
        "has_flask": any(n.strip() == "flask" for _, _, n in rows),
        "has_jsonschema": any(n.strip() == "jsonschema" for _, _, n in rows),
    }
