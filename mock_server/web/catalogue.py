"""The catalogue as the dashboard reads it: every code and its words, from ``contract``.

``GET /__admin/catalogue`` answers :func:`catalogue_document`, so that the page labels a
journal entry's outcome with the contract's own words and holds no list of codes itself.
"""

from __future__ import annotations

from typing import Any

from contract import ERROR_CODES, PATH, SUCCESS_CODE, SUCCESS_REASON, TENURE_CODES, is_billed

from ..scenario.model import FaultKind

__all__ = ["catalogue_document"]


def catalogue_document() -> dict[str, Any]:
    """The API's path; success, tenure codes, error codes and faults, in the catalogue's order."""
    return {
        "path": PATH,
        "success": {
            "error_code": SUCCESS_CODE,
            "words": SUCCESS_REASON,
            "billed": is_billed(SUCCESS_CODE),
        },
        "tenure": [
            {"code": t.code, "words": t.words, "english": t.english} for t in TENURE_CODES.values()
        ],
        "errors": [
            {
                "error_code": e.code,
                "name": e.name,
                "kind": e.kind.value,
                "family": e.family.value,
                "words": e.words,
                "english": e.english,
                "retry": e.retry.value,
                "billed": e.billed,
            }
            for e in ERROR_CODES.values()
        ],
        # A fault that replaces the answer (status, drop, raw) means no answer was made,
        # so nothing is billed; one that damages it (malformed, truncated, drip) still is.
        "faults": [{"kind": f.value, "replaces_answer": f.replaces_answer} for f in FaultKind],
    }
