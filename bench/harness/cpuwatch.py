"""Where the CPU went during one load run: the server, the load generator, and the rest.

Read from ``/proc`` (Linux) around each run:

- the server's CPU seconds (every process in its process group, every thread): divided by
  the requests served, the **server CPU per request**, a figure that the machine's other
  work disturbs far less than throughput does (it is the work done, not the time waited);
- the load generator's (``wrk`` is a child: ``RUSAGE_CHILDREN``) and this harness's own;
- **foreign load**: every CPU second the machine spent that none of those did, in cores
  (0.5 = half a core busy elsewhere for the whole run). A run with foreign load measured
  the machine's other work as much as the server: the report flags it.

Elsewhere (not Linux) every figure is None and nothing is flagged.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from .procs import group_pids
from .report import BUSY_CORES

__all__ = ["BUSY_CORES", "CpuUse", "CpuWatch", "group_cpu_seconds"]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent not idle (``/proc/stat``'s first line)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields] + [0] * 10
    # user, nice, system, and steal (a hypervisor's other guests: a disturbance too); not
    # idle or iowait, nor irq and softirq, which the load's own loopback traffic makes and
    # which some kernels do not charge to any process (it would read as foreign load).
    return (ticks[0] + ticks[1] + ticks[2] + ticks[7]) / _TICK


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system, all threads) of every live process in group ``pgid``."""
    total = 0
    for pid in group_pids(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / _TICK


def _own_seconds() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


@dataclass
class CpuUse:
    """One run's CPU: seconds of the server, of the load generator, and foreign cores."""

    server_s: float | None
    loadgen_s: float | None
    foreign_cores: float | None

    def per_request_us(self, requests: int) -> float | None:
        if self.server_s is None or requests <= 0:
            return None
        return self.server_s / requests * 1e6


class CpuWatch:
    """``with CpuWatch(pgid) as watch: ...run...``, then ``watch.use``."""

    def __init__(self, pgid: int | None) -> None:
        self.pgid = pgid
        self.use = CpuUse(None, None, None)

    def __enter__(self) -> CpuWatch:
        self._busy = _busy_seconds()
        self._server = group_cpu_seconds(self.pgid) if self.pgid else None
        self._me, self._kids = _own_seconds()
        self._wall = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        busy = _busy_seconds()
        wall = time.monotonic() - self._wall
        server = None
        if self.pgid and self._server is not None:
            server = group_cpu_seconds(self.pgid) - self._server
        me, kids = _own_seconds()
        own, loadgen = me - self._me, kids - self._kids
        foreign = None
        if busy is not None and self._busy is not None and wall > 0 and server is not None:
            foreign = max(0.0, (busy - self._busy - server - own - loadgen) / wall)
        self.use = CpuUse(server, loadgen, foreign)
