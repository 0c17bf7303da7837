"""``juhe-contract check``'s signs of life on stderr while a run is under way.

Each probe's row is printed as soon as it is judged (``[3/11] 63 hex: 234802, conform,
free, 0.01 s``), with its drift underneath, so a long run against a slow host shows what
it has seen so far, in a log too. On a terminal (the stream is a TTY and ``TERM`` is not
``dumb``) one more line says what is under way (``[4/11] probing 65 hex ...``), redrawn in
place with ``\\r`` and cleared at the end; written to a file or a pipe there is none of it,
so logs and captured output stay clean. Everything goes through ``scrub``: a server that
echoes the key cannot put it here either.

The final table on stdout stays the report; these lines go to stderr.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import TextIO

from .probe import Probe, ProbeResult
from .report import probe_row

__all__ = ["Progress"]

#: Back to the start of the line and erase it (ANSI, understood by every terminal in use).
_CLEAR = "\r\x1b[K"


def _same(text: str) -> str:
    return text


class Progress:
    """Live rows (always) and a one-line indicator (on a terminal only) on ``stream``.

    Use as a context manager, so that the indicator is cleared however the run ends;
    :meth:`before` and :meth:`after` are :func:`~contract.conformance.probe.run_probes`'
    callbacks.
    """

    def __init__(self, stream: TextIO, total: int, *, scrub: Callable[[str], str] = _same) -> None:
        self.stream = stream
        self.total = total
        self.scrub = scrub
        self.live = _is_terminal(stream)
        self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.clear()

    def _count(self, i: int) -> str:
        width = len(str(self.total))
        return f"[{i:>{width}}/{self.total}]"

    def status(self, text: str) -> None:
        """Show ``text`` as the indicator (on a terminal; nothing otherwise)."""
        if not self.live:
            return
        line = self.scrub(text)
        columns = _columns(self.stream)
        if len(line) >= columns:  # a line that wraps cannot be redrawn with \r
            line = line[: max(columns - 4, 0)] + "..."
        self.stream.write(_CLEAR + line)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self._shown = False

    def before(self, i: int, probe: Probe) -> None:
        self.status(f"{self._count(i)} probing {probe.name} ...")

    def after(self, i: int, result: ProbeResult) -> None:
        _, name, _, answer, verdict, billed = probe_row(i, result)
        line = f"{self._count(i)} {name}: {answer}, {verdict}, {billed}"
        if result.verdict is not None:
            line += f", {result.seconds:.2f} s"
        problems = result.verdict.problems if result.verdict is not None else ()
        self.clear()
        text = "\n".join([line, *(f"    {p}" for p in problems)])
        self.stream.write(self.scrub(text) + "\n")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


def _columns(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    # A terminal that does not say its size (a fresh pty says 0): COLUMNS, or 80.
    return columns if columns > 0 else shutil.get_terminal_size().columns
