"""Machine facts and versions, recorded beside every result so a figure can be placed."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_mib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _git_commit(root: Path) -> str:
    """The short commit, ``+dirty`` when tracked files differ from it (a figure then belongs
    to code that no commit holds)."""
    out = subprocess.run(
        ["git", "-C", str(root), "describe", "--always", "--abbrev=7", "--dirty=+dirty"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return out.stdout.strip() or "unknown"


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def machine_facts(root: Path) -> dict[str, Any]:
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host_os": f"{platform.system()} {platform.release()}",
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "mem_total_mib": _mem_total_mib(),
        "load_average_at_start": load_average(),
        "python": platform.python_version(),
        "git_commit": _git_commit(root),
        "packages": {
            name: _version(name)
            for name in (
                "juhe-tenure-toolkit",
                "flask",
                "werkzeug",
                "waitress",
                "requests",
                "granian",
                "gunicorn",
                "redis",
            )
        },
    }
