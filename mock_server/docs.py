"""Tables for the docs, generated from the contract (``juhe-mock --print-magic-table``)."""

from __future__ import annotations

from contract import ERROR_CODES, MAGIC_NUMBERS, TENURE_CODES

__all__ = ["MAGIC_BEGIN", "MAGIC_END", "magic_table_markdown"]

MAGIC_BEGIN = "<!-- generated: magic (juhe-mock --print-magic-table) -->"
MAGIC_END = "<!-- /generated: magic -->"


def magic_table_markdown() -> str:
    """The README's table of magic numbers: number, sha256 prefix, and the answer."""
    lines = ["| number | sha256 starts | answer |", "|---|---|---|"]
    for magic in MAGIC_NUMBERS.values():
        if magic.tenure is not None:
            answer = (
                f"success, `result.code` `{magic.tenure}` ({TENURE_CODES[magic.tenure].english})"
            )
        else:
            entry = ERROR_CODES[magic.error_code]
            answer = f"`{magic.error_code}` {entry.wire_reason()}"
        lines.append(f"| `{magic.phone}` | `{magic.sha256[:12]}…` | {answer} |")
    return "\n".join(lines) + "\n"
