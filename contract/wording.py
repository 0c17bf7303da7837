"""The ``reason`` of an answer judged against the catalogue's words.

Our mock sends the vendor document's words to the letter (strict); a live answer's wording
drifts (docs/wire.md): a known variant, another separator before a detail, other words
altogether. :func:`reason_finding` says which, and how much it matters in each mode.
"""

from __future__ import annotations

from .codes import SUCCESS_REASON, ErrorCode

__all__ = ["reason_finding", "short"]

_MAX_SHOWN = 80


def short(value: object) -> str:
    """``repr(value)``, cut to a length a message can show."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def reason_finding(
    text: str, entry: ErrorCode | None, *, strict: bool, expected: str | None = None
) -> tuple[str, str, str] | None:
    """How a non-blank ``reason`` differs from the catalogue's: ``(how, rule, message)`` or
    None when it does not. ``how`` is ``fail`` (a violation), ``warn`` (a warning) or
    ``lenient`` (a violation in strict mode, a warning in tolerant mode).

    :param entry: the error code's catalogue entry; None for a success.
    :param expected: the exact text to expect instead of the catalogue's, if any.
    """
    if expected is not None:
        if text == expected:
            return None
        return "lenient", "reason-text", f"reason must be {expected!r}, not {short(text)}"
    if _is_catalogue_reason(text, entry):
        return None
    words = SUCCESS_REASON if entry is None else entry.wire_reason()
    if strict:
        return "fail", "reason-text", f"reason must be {words!r}, not {short(text)}"
    if entry is not None and text in entry.variants:
        return "warn", "reason-variant", f"{text!r} is a known live variant of {words!r}"
    if entry is not None and _has_live_detail(text, entry):
        return None  # the documented words, the detail after another separator
    return "warn", "reason-wording", f"unusual reason {short(text)}; the catalogue says {words!r}"


def _is_catalogue_reason(text: str, entry: ErrorCode | None) -> bool:
    """Whether ``text`` is the catalogue's own wire reason for the code."""
    if entry is None:
        return text == SUCCESS_REASON
    if not entry.takes_detail:
        return text == entry.reason
    head = entry.reason + entry.detail_separator
    return text.startswith(head) and bool(text[len(head) :].strip())


def _has_live_detail(text: str, entry: ErrorCode) -> bool:
    """For 234802/234804: the words followed by some detail, e.g. after a full-width colon."""
    return (
        entry.takes_detail
        and text.startswith(entry.reason)
        and bool(text[len(entry.reason) :].strip(" :：，,"))
    )
