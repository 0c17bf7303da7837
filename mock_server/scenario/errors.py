"""What goes wrong with a scenario document: :class:`ConfigError` names where, which field, why."""

from __future__ import annotations

from contract.errors import DocumentError

__all__ = ["TOO_DEEP", "ConfigError", "member_path"]

#: Why a document that nests deeper than the parser or validator can follow is refused.
TOO_DEEP = "nested too deeply to be a scenario document"


class ConfigError(DocumentError):
    """A scenario document that cannot be used: where, which field and why."""


def member_path(name: str) -> str:
    """A mapping member's step in a JSON path (``.name`` or ``['na me']``), written as
    jsonschema writes it, so that schema errors and ours name fields alike."""
    return f".{name}" if name.isidentifier() else f"[{name!r}]"
