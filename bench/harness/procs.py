"""Server processes: launch in their own process group, time the first correct answer,
sample the memory of every process in the group, and stop them by process id.

Each server gets ``start_new_session=True``, so its pid is also its process-group id:
stopping kills the whole group (a launcher script and its JVM, or a master and its
workers) and nothing else. A registry remembers every live server so that ``stop_all``
in a ``finally`` block cleans up after an error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .answer import is_correct, query_path

_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_pids(pgid: int) -> list[int]:
    """Every live process whose process group is ``pgid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Field 5 is the process group; the command name (field 2) may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


def _status_kib(pid: int, name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySampler:
    """Samples the summed RSS of a process group every ``interval`` seconds in a thread.

    ``peak_kib`` is the larger of the highest summed RSS seen and the sum of each process's
    own high-water mark (VmHWM), which catches a spike between two samples.
    """

    pgid: int
    interval: float = 0.05
    peak_rss_kib: int = 0
    peak_hwm_kib: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="mem-sampler")
        self._thread.start()

    def sample(self) -> int:
        pids = group_pids(self.pgid)
        rss = sum(_status_kib(p, "VmRSS") for p in pids)
        hwm = sum(_status_kib(p, "VmHWM") for p in pids)
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.peak_hwm_kib = max(self.peak_hwm_kib, hwm)
        self.samples.append((time.monotonic(), rss))
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    @property
    def peak_kib(self) -> int:
        return max(self.peak_rss_kib, self.peak_hwm_kib)


@dataclass
class ServerProcess:
    """One launched server: its command, port, process and how long it took to answer."""

    name: str
    argv: Sequence[str]
    port: int
    log_dir: Path
    env: dict[str, str] | None = None
    key: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    first_answer_s: float | None = None
    sampler: MemorySampler | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = (self.log_dir / f"{self.name}.out").open("ab")
        err = (self.log_dir / f"{self.name}.err").open("ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            list(self.argv),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,
        )
        out.close()
        err.close()
        _LIVE[self.proc.pid] = self.proc

    def wait_first_answer(self, timeout: float = 90.0) -> float:
        """Poll until the server gives the correct answer; the seconds since launch."""
        assert self.proc is not None
        path = query_path(self.key) if self.key else query_path()
        deadline = self.started_at + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before answering; "
                    f"see {self.log_dir / (self.name + '.err')}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                resp = conn.getresponse()
                payload = resp.read()
                conn.close()
                if is_correct(resp.status, payload):
                    self.first_answer_s = time.perf_counter() - self.started_at
                    return self.first_answer_s
            except OSError:
                pass
            time.sleep(0.002)
        raise TimeoutError(f"{self.name} gave no correct answer within {timeout} s")

    def start_sampling(self) -> MemorySampler:
        assert self.proc is not None
        self.sampler = MemorySampler(self.proc.pid)
        self.sampler.start()
        return self.sampler

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 5 s; always reaps the process."""
        if self.sampler is not None:
            self.sampler.stop()
        if self.proc is not None:
            stop_process(self.proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    pgid = proc.pid
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Children that outlived their parent are still in the group: end them too.
    for pid in group_pids(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _LIVE.pop(proc.pid, None)


def stop_all() -> None:
    """Stop every server this process launched and has not stopped yet."""
    for proc in list(_LIVE.values()):
        stop_process(proc)
