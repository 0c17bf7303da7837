"""Work on several threads at once: every result kept, every error raised in the test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def on_threads(
    count: int, work: Callable[[int], T], *, together: bool = True, timeout: float = 120.0
) -> list[T]:
    """``work(0)`` … ``work(count - 1)``, each on its own thread; their results in that
    order. ``together``: they start at one barrier, so that they really overlap. A thread
    that raises fails the caller with its exception; one still running after ``timeout``
    fails it too."""
    results: dict[int, T] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(count) if together else None

    def run(index: int) -> None:
        try:
            if start is not None:
                start.wait(timeout=timeout)
            results[index] = work(index)
        except BaseException as exc:  # raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), name=f"work-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"still running after {timeout} s"
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


def flat(lists: list[list[T]]) -> list[T]:
    """The items of every list, in order (what :func:`on_threads` gives of list results)."""
    return [item for items in lists for item in items]
