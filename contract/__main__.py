"""``python -m contract``: a self-check of the catalogue, printed as the docs tables."""

from __future__ import annotations

from .codes import ERROR_CODES, TENURE_CODES
from .magic import magic_number


def main() -> int:
    """Print every code with its magic number; exit 0."""
    print("tenure codes:")
    for t in TENURE_CODES.values():
        print(f"  {t.code:>6}  {magic_number(t.code)}  {t.words}  ({t.english})")
    print("error codes:")
    for e in ERROR_CODES.values():
        print(f"  {e.code:>6}  {magic_number(e.code)}  {e.kind.value:<7}  {e.wire_reason()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
