"""The files a run will write, checked before it sends anything.

A report that cannot be written is found out before the first request, not after every
probe was sent and the budget spent: each path must be a file (or not exist yet) in a
folder that exists and takes a new file, and no two options may name the same file. The
check writes nothing: an existing file is opened for appending (and left as it was), a
new one is created and removed again, which asks the file system itself (a permission,
a read-only mount, a full quota) instead of guessing from mode bits that ``root`` ignores.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["output_problem", "outputs_problem"]


def output_problem(option: str, path: str) -> str | None:
    """Why ``path`` (given as ``option``) cannot be written, or None when it can."""
    where = Path(path)
    if where.is_dir():
        return f"{option}: {path} is a folder, not a file"
    folder = where.parent
    if not folder.exists():
        return f"{option}: {path}: its folder {folder} does not exist"
    if not folder.is_dir():
        return f"{option}: {path}: {folder} is not a folder"
    existed = where.exists()
    try:
        if existed:
            with open(where, "ab"):
                pass
        else:
            with open(where, "xb"):
                pass
            with contextlib.suppress(OSError):
                os.unlink(where)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return f"{option}: cannot write {path} ({type(exc).__name__}: {why})"
    return None


def outputs_problem(outputs: Iterable[tuple[str, str | None]]) -> str | None:
    """The first problem among ``(option, path)`` pairs (a None path is not asked for)."""
    seen: dict[Path, str] = {}
    for option, path in outputs:
        if path is None:
            continue
        same = seen.get(Path(os.path.abspath(path)))
        if same is not None:
            return f"{option}: {path} is also given to {same}: each output needs its own file"
        seen[Path(os.path.abspath(path))] = option
        problem = output_problem(option, path)
        if problem is not None:
            return problem
    return None
