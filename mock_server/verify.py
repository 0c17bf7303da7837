"""Request verification over the mock's journal, as WireMock's ``verify`` and
pytest-httpserver's ``assert_request_made`` do it.

One pure implementation over journal entries (``GET /__admin/requests``), shared by the
pytest fixture's handle (:class:`~mock_server.testing.JuheMock`) and the
:class:`~mock_server.admin_client.AdminClient`, both through :class:`Verifying`.

A criterion left as None matches anything. ``key=`` is matched by its fingerprint (the
journal holds no key), ``mobile=`` takes a phone number in any spelling or its sha256 and
is matched by the hash (the journal holds no number). A failure says what was expected and
lists what was received, one line per request, with what differs: fingerprints and hash
prefixes only, never a key or a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract import is_mobile_sha256, mobile_sha256, normalize_mobile
from contract.keys import key_fingerprint

__all__ = ["Criteria", "Verifying", "assert_called", "assert_not_called", "matching"]

#: How many received requests a failure lists (the newest; the journal may hold 1000).
SHOWN = 20
Entry = Mapping[str, Any]


def _hash_of(mobile: str) -> str:
    if is_mobile_sha256(mobile):
        return mobile.lower()
    try:
        return mobile_sha256(normalize_mobile(mobile))
    except ValueError:
        # Not repeated: it might be a number of someone's, badly spelled.
        raise ValueError("mobile=: give a phone number or its sha256 (64 hex digits)") from None


@dataclass(frozen=True)
class Criteria:
    """What a request must have been, as the journal can tell: the given key's fingerprint,
    the hash of the given mobile, the method, the answer's code, where the key came from."""

    key_fp: str | None = None
    key_given: bool = False
    mobile_hash: str | None = None
    method: str | None = None
    code: int | str | None = None
    key_from: str | None = None

    @classmethod
    def of(
        cls,
        *,
        key: str | None = None,
        mobile: str | None = None,
        method: str | None = None,
        code: int | str | None = None,
        key_from: str | None = None,
    ) -> Criteria:
        """:param code: an ``error_code`` (int; 0 is a success) or a tenure code (str).

        :raises ValueError: for a ``mobile`` that is neither a number nor a hash, a bad
            ``key_from`` or ``code``.
        """
        if key_from not in (None, "query", "form", "absent"):
            raise ValueError("key_from=: 'query', 'form' or 'absent'")
        if code is not None and (isinstance(code, bool) or not isinstance(code, (int, str))):
            raise ValueError("code=: an error_code (int) or a tenure code (str)")
        return cls(
            key_fp=key_fingerprint(key) if key else None,
            key_given=key is not None,
            mobile_hash=_hash_of(mobile) if mobile is not None else None,
            method=method.upper() if method is not None else None,
            code=code,
            key_from=key_from,
        )

    def differences(self, entry: Entry) -> list[str]:
        """The criteria ``entry`` does not meet, by name (empty: it matches)."""
        differs = []
        if self.key_given and entry.get("key") != self.key_fp:
            differs.append("key")
        if self.mobile_hash is not None and entry.get("mobile") != self.mobile_hash:
            differs.append("mobile")
        if self.method is not None and entry.get("method") != self.method:
            differs.append("method")
        if self.code is not None:
            outcome = entry.get("outcome") or {}
            field = "code" if isinstance(self.code, str) else "error_code"
            if outcome.get(field) != self.code:
                differs.append("code")
        if self.key_from is not None and entry.get("key_from") != self.key_from:
            differs.append("key_from")
        return differs

    def describe(self) -> str:
        parts = []
        if self.key_given:
            parts.append(f"key={self.key_fp or '(empty)'}")
        if self.mobile_hash is not None:
            parts.append(f"mobile={self.mobile_hash[:12]}…")
        if self.method is not None:
            parts.append(f"method={self.method}")
        if self.code is not None:
            parts.append(f"code={self.code!r}")
        if self.key_from is not None:
            parts.append(f"key_from={self.key_from}")
        return " ".join(parts) or "(any request)"


def describe_entry(entry: Entry) -> str:
    """One received request on one line: fingerprints and hash prefixes only."""
    outcome = entry.get("outcome") or {}
    if outcome.get("fault") is not None and outcome.get("error_code") is None:
        answer = f"fault {outcome['fault']}"
    else:
        answer = str(outcome.get("error_code"))
        if outcome.get("code") is not None:
            answer += f" (code {outcome['code']!r})"
    mobile = entry.get("mobile")
    params = entry.get("params")
    return " ".join(
        [
            str(entry.get("method")),
            f"key={entry.get('key') or '-'}",
            f"({entry.get('key_from', '?')})",
            f"mobile={mobile[:12] + '…' if mobile else '-'}",
            f"params={','.join(params) if params else '-'}",
            f"type={entry.get('content_type') or '-'}",
            f"-> {answer}",
        ]
    )


def matching(entries: Sequence[Entry], criteria: Criteria) -> list[Entry]:
    """The entries that meet ``criteria``, oldest first."""
    return [entry for entry in entries if not criteria.differences(entry)]


def _failure(expected: str, criteria: Criteria, entries: Sequence[Entry], found: int) -> str:
    lines = [
        f"expected {expected} matching {criteria.describe()}, "
        f"got {found} (of {len(entries)} received)"
    ]
    if not entries:
        lines.append("  (the mock received no request)")
    start = max(0, len(entries) - SHOWN)
    if start:
        lines.append(f"  ... {start} older request(s) not shown")
    for number, entry in enumerate(entries[start:], start + 1):
        differs = criteria.differences(entry)
        mark = f"  [differs: {', '.join(differs)}]" if differs else "  [matches]"
        lines.append(f"  #{number} {describe_entry(entry)}{mark}")
    return "\n".join(lines)


def assert_called(
    entries: Sequence[Entry], criteria: Criteria, times: int | None = None
) -> list[Entry]:
    """The matching entries; :raises AssertionError: unless there are ``times`` of them
    exactly (None: at least one)."""
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError("times=: a whole number of calls, 0 or more")
    found = matching(entries, criteria)
    if (times is None and not found) or (times is not None and len(found) != times):
        expected = "at least 1 call" if times is None else f"{times} call(s)"
        raise AssertionError(_failure(expected, criteria, entries, len(found)))
    return found


def assert_not_called(entries: Sequence[Entry], criteria: Criteria) -> None:
    """:raises AssertionError: if any entry matches ``criteria``."""
    assert_called(entries, criteria, times=0)


class Verifying:
    """``assert_called``, ``assert_not_called`` and ``calls`` for anything with a
    ``requests`` journal (oldest first)."""

    @property
    def requests(self) -> Sequence[Entry]:  # pragma: no cover - every user overrides it
        raise NotImplementedError

    def calls(
        self,
        *,
        key: str | None = None,
        mobile: str | None = None,
        method: str | None = None,
        code: int | str | None = None,
        key_from: str | None = None,
    ) -> list[Entry]:
        """The journal entries that match, oldest first."""
        criteria = Criteria.of(key=key, mobile=mobile, method=method, code=code, key_from=key_from)
        return matching(self.requests, criteria)

    def assert_called(
        self,
        times: int | None = None,
        *,
        key: str | None = None,
        mobile: str | None = None,
        method: str | None = None,
        code: int | str | None = None,
        key_from: str | None = None,
    ) -> list[Entry]:
        """Assert the mock received ``times`` matching requests (None: at least one);
        returns them. The failure lists what was received, never a key or a number."""
        criteria = Criteria.of(key=key, mobile=mobile, method=method, code=code, key_from=key_from)
        return assert_called(self.requests, criteria, times)

    def assert_not_called(
        self,
        *,
        key: str | None = None,
        mobile: str | None = None,
        method: str | None = None,
        code: int | str | None = None,
        key_from: str | None = None,
    ) -> None:
        """Assert the mock received no matching request."""
        criteria = Criteria.of(key=key, mobile=mobile, method=method, code=code, key_from=key_from)
        assert_not_called(self.requests, criteria)
