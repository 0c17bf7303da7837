"""The error for a document a user hands us (a scenario, a canaries file) that cannot be used."""

from __future__ import annotations

__all__ = ["DocumentError"]


class DocumentError(ValueError):
    """Which document, which field (a JSON path such as ``$.rules[0].when.ip``) and why.

    ``str()`` reads ``SOURCE: PATH: WHY``, the one line a CLI prints before exiting 2.
    """

    def __init__(self, source: str, path: str, why: str) -> None:
        super().__init__(f"{source}: {path}: {why}")
        self.source = source
        self.path = path
        self.why = why
