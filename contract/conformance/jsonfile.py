"""A small JSON document on disk that several processes change safely.

Each change takes an exclusive ``fcntl`` lock on a sibling ``FILE.lock`` (the document
itself is replaced on every write, so it cannot carry the lock), reads the document,
applies the change and writes the result atomically: a temporary file in the same folder,
flushed to disk, then ``os.replace``. A reader never sees half a document, and two writers
never lose each other's change. POSIX only, like the pytest-xdist workers it serves.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ..errors import DocumentError

__all__ = ["LockedJson"]

T = TypeVar("T")


class LockedJson:
    """``path`` as a JSON document; :meth:`update` is atomic across threads and processes.

    :param empty: the document a missing file stands for.
    :param check: called on what was read; raises (naming the file and field) if unusable.
    """

    def __init__(
        self,
        path: str | Path,
        empty: Callable[[], Any],
        check: Callable[[Any], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self._empty = empty
        self._check = check

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._empty()
        except (OSError, UnicodeDecodeError) as exc:
            why = f"cannot read it ({type(exc).__name__})"
            raise DocumentError(str(self.path), "$", why) from None
        if not text.strip():
            return self._empty()
        try:
            data = json.loads(text)
        except ValueError:
            raise DocumentError(str(self.path), "$", "not valid JSON") from None
        if self._check is not None:
            self._check(data)
        return data

    def read(self) -> Any:
        """The document as it is now (a shared lock: never half a write)."""
        with self._locked(exclusive=False):
            return self._read()

    def update(self, change: Callable[[Any], T]) -> T:
        """Apply ``change`` to the document (it mutates it in place) and save; returns what
        ``change`` returned. Nothing is written if ``change`` raises."""
        with self._locked(exclusive=True):
            data = self._read()
            result = change(data)
            self._write(data)
            return result

    def _write(self, data: Any) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        fd, temporary = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
