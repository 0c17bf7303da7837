"""Is this body a contract-valid answer of the API? Violations (and warnings) naming the field.

Two modes:

* **strict** (``strict=True``, the default): our own mock. The body must have exactly the
  keys of its kind's wire shape, in the wire's order, and ``reason`` must be the
  catalogue's words to the letter (``"成功"``; the document's words; for 234802/234804 the
  words + ``":"`` + a non-empty detail), or exactly ``reason=`` when the caller says which
  custom text to expect.
* **tolerant** (``strict=False``): a live answer. It flags breakage, not wording or
  harmless shape (docs/live.md). *Warnings*, not violations: unknown extra keys, another
  key order, other ``reason`` wording (a full-width ``：``, a trailing space) or an empty
  one; an orderid of another form (``JH…``, letters appended, an impossible date: it is
  opaque) or none at all; ``resultcode`` on a success (older products send ``"200"``), on
  a service error, as an integer, missing or mismatched; ``result`` not null on an error.
  Still *violations*: ``error_code`` missing or not an integer, a code the catalogue does
  not know, a success without ``result``, with ``result`` null or ``{}``, or with
  ``result.code`` missing, not a string or outside the catalogue, a body that is not a
  JSON object. (An HTTP status other than 200 and a content type that is not JSON are the
  probe's to judge: ``contract.conformance.probe.judge``.)

Both modes check the JSON Schema of the body's kind and what a schema cannot say: the
``orderid`` timestamp is a real date and time, ``error_code`` is an integer the catalogue
knows, ``resultcode`` appears exactly on system errors and matches ``error_code``,
``reason`` is not blank. Key order differing from the wire's breaks strict mode (our mock
renders the documented order, key for key) and is only a warning in tolerant mode: JSON
objects are unordered, so no client may depend on it.

Given the ``key`` that was sent, an answer that echoes it (some Juhe hosts put it into
``result`` or ``reason`` on key errors) gets a ``key-echo`` finding (a warning in tolerant
mode: a security problem, not a broken contract), and every message is scrubbed of it.

``validate`` returns the violations only; ``validate_report`` returns both lists. Neither
ever raises: anything that is not a JSON object is a violation on field ``"$"``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from . import schemas
from .bodies import error_body, success_body
from .codes import ERROR_CODES, SUCCESS_CODE, ErrorCode, ErrorKind
from .keys import contains_key, scrub_key
from .wording import reason_finding, short

__all__ = ["Report", "Violation", "validate", "validate_report"]

_SUCCESS = "success"
#: Each kind's schema, compiled once at import: the mock's tests call validate on every answer.
# The system-error schema pairs each error_code with its resultcode in 14 if/then clauses;
# checking that pair in Python instead is five times faster and gives the same answer.
_SYSTEM_SHAPE = {k: v for k, v in schemas.SCHEMAS["system_error"].items() if k != "allOf"}
_VALIDATORS = {
    _SUCCESS: schemas.validator("success"),
    ErrorKind.SYSTEM.value: Draft202012Validator(_SYSTEM_SHAPE, registry=schemas.REGISTRY),
    ErrorKind.SERVICE.value: schemas.validator("service_error"),
}
#: The wire's key order per kind: as contract.bodies builds them.
_KEY_ORDER = {
    _SUCCESS: list(success_body("1", "J201901141703399055")),
    ErrorKind.SYSTEM.value: list(error_body(10001)),
    ErrorKind.SERVICE.value: list(error_body(234803)),
}
_RESULT_KEY_ORDER = list(success_body("1", "J201901141703399055")["result"])
_STRICT_ORDERID_DIGITS = 4
_MAX_SHOWN = 80
_ORDERID = re.compile(r"J[0-9]{18}[0-9A-Za-z]*")
#: Fields a tolerant check lets go missing with a warning.
_HARMLESS_IF_MISSING = frozenset({"result.orderid", "resultcode"})


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    :param field: the dotted path of the field (``"result.code"``), ``"$"`` for the body.
    :param rule: a short id: a JSON Schema keyword (``"type"``, ``"enum"``, ``"required"``)
        or one of ``"unknown-key"``, ``"known-code"``, ``"result-shape"``,
        ``"orderid-format"``, ``"orderid-date"``, ``"resultcode-match"``,
        ``"resultcode-absent"``, ``"non-empty"``, ``"reason-text"``, ``"reason-variant"``,
        ``"reason-wording"``, ``"key-order"``, ``"key-echo"``, ``"unvalidatable"``.
    :param message: what is wrong, for a person.
    """

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class Report:
    """Everything ``validate_report`` found: violations break the contract, warnings do not."""

    violations: tuple[Violation, ...]
    warnings: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        """True when there is no violation (warnings allowed)."""
        return not self.violations


def validate(
    body: object, *, strict: bool = True, reason: str | None = None, key: str | None = None
) -> list[Violation]:
    """The contract violations of an answer body (a parsed JSON value); empty when valid.

    :param strict: True for our own mock (exact shapes and catalogue reasons); False for a
        live answer, where harmless shape and other wording are only warnings.
    :param reason: the exact ``reason`` text to expect instead of the catalogue's.
    :param key: the key the request carried: an answer echoing it is flagged, and no
        message repeats it.
    """
    return list(validate_report(body, strict=strict, reason=reason, key=key).violations)


def validate_report(
    body: object, *, strict: bool = True, reason: str | None = None, key: str | None = None
) -> Report:
    """Violations and warnings of an answer body; see ``validate``. Never raises."""
    check = _Check(strict, reason)
    try:
        check.run(body)
        if key:
            check.key_echo(body, key)
    except Exception as exc:  # a validator must answer, whatever it is given
        check.violations.append(
            Violation("$", "unvalidatable", f"the body could not be checked ({type(exc).__name__})")
        )
    violations, warnings = _unique(check.violations), _unique(check.warnings)
    if key:
        violations, warnings = _scrubbed(violations, key), _scrubbed(warnings, key)
    return Report(violations, warnings)


def _scrubbed(found: tuple[Violation, ...], key: str) -> tuple[Violation, ...]:
    return tuple(
        Violation(scrub_key(v.field, key), v.rule, scrub_key(v.message, key)) for v in found
    )


def _strings(value: object) -> list[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _unique(found: list[Violation]) -> tuple[Violation, ...]:
    """One violation per field and rule: the schema and a semantic check may both see it."""
    return tuple({(v.field, v.rule): v for v in reversed(found)}.values())[::-1]


def _json_type(value: object) -> str:
    names = {type(None): "null", bool: "boolean", str: "string", list: "array", dict: "object"}
    if type(value) in (int, float):
        return "number"
    return names.get(type(value), type(value).__name__)


def _join(path: str, name: object) -> str:
    return f"{path}.{name}" if path else str(name)


class _Check:
    """One validation run: collects violations and warnings."""

    def __init__(self, strict: bool, reason: str | None) -> None:
        self.strict = strict
        self.reason = reason
        self.violations: list[Violation] = []
        self.warnings: list[Violation] = []

    def fail(self, field: str, rule: str, message: str) -> None:
        self.violations.append(Violation(field, rule, message))

    def warn(self, field: str, rule: str, message: str) -> None:
        self.warnings.append(Violation(field, rule, message))

    def lenient(self, field: str, rule: str, message: str) -> None:
        """A violation in strict mode, a warning in tolerant mode."""
        (self.fail if self.strict else self.warn)(field, rule, message)

    def run(self, body: object) -> None:
        if not isinstance(body, dict):
            self.fail("$", "type", f"the body must be a JSON object, not {_json_type(body)}")
            return
        entry, code_ok = self.error_code(body)
        kind = self.kind(body, entry, code_ok)
        for error in _VALIDATORS[kind].iter_errors(body):
            self.schema_error(error, kind, code_ok)
        if kind == _SUCCESS:
            self.orderid(body)
        if entry is not None and entry.resultcode is not None:
            self.resultcode(body, entry)
        self.reason_text(body, entry, code_ok)
        self.key_order(body, kind)

    def error_code(self, body: dict[Any, Any]) -> tuple[ErrorCode | None, bool]:
        """The catalogue entry (None for success) and whether error_code is usable."""
        if "error_code" not in body:
            self.fail("error_code", "required", "error_code is missing")
            return None, False
        code = body["error_code"]
        # bool and float pass JSON Schema's "integer" or compare equal to ints; not on the wire.
        if type(code) is not int:
            self.fail("error_code", "type", f"error_code must be an integer, not {short(code)}")
            return None, False
        if code == SUCCESS_CODE:
            return None, True
        if code not in ERROR_CODES:
            self.fail("error_code", "known-code", f"error_code {code} is not in the catalogue")
            return None, False
        return ERROR_CODES[code], True

    @staticmethod
    def kind(body: dict[Any, Any], entry: ErrorCode | None, code_ok: bool) -> str:
        """Which schema applies: by error_code, or guessed from the shape when it is unusable."""
        if code_ok:
            return _SUCCESS if entry is None else entry.kind.value
        if "resultcode" in body:
            return ErrorKind.SYSTEM.value
        if isinstance(body.get("result"), dict):
            return _SUCCESS
        return ErrorKind.SERVICE.value

    def schema_error(self, error: ValidationError, kind: str, code_ok: bool) -> None:
        path = ".".join(str(p) for p in error.absolute_path)
        keyword = str(error.validator)
        instance = error.instance
        if keyword == "required":
            for name in error.validator_value:
                if isinstance(instance, dict) and name not in instance:
                    field = _join(path, name)
                    # An opaque orderid and the legacy resultcode: nothing a client acts on.
                    report = self.lenient if field in _HARMLESS_IF_MISSING else self.fail
                    report(field, "required", f"{field} is missing")
            return
        if keyword == "additionalProperties":
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for name in instance:
                if name in known:
                    continue
                field = _join(path, name)
                if field == "resultcode":
                    self.lenient(
                        field, "resultcode-absent", f"resultcode is only on system errors ({kind})"
                    )
                else:
                    self.lenient(field, "unknown-key", f"{field} is not part of the {kind} body")
            return
        if path == "error_code" and not code_ok:
            return  # already reported by error_code(), with a clearer message
        if path == "result" and keyword == "type":
            if kind == _SUCCESS:
                shape = "an object when error_code is 0"
                self.fail(path, "result-shape", f"result must be {shape}, not {short(instance)}")
            else:  # the error code is what a client acts on; the rest of an error is noise
                self.lenient(
                    path, "result-shape", f"result must be null on an error, not {short(instance)}"
                )
            return
        if path == "result.orderid" and keyword == "pattern":
            self.lenient(
                path,
                "orderid-format",
                f'orderid must be "J" + yyyyMMddHHmmss + digits, not {short(instance)}',
            )
            return
        if path == "resultcode" and keyword == "const":
            expected = error.validator_value
            self.lenient(
                path,
                "resultcode-match",
                f"resultcode must be {expected!r} for this error_code, not {short(instance)}",
            )
            return
        if path == "resultcode":  # the legacy code: its type and values are only a warning
            if keyword == "type":
                message = f"resultcode must be a string, not {_json_type(instance)}"
            else:
                message = _short_message(error.message)
            self.lenient(path, keyword, message)
            return
        if path == "reason" and keyword == "minLength":
            self.lenient(path, "non-empty", "reason must not be empty")
            return
        self.fail(path or "$", keyword, _short_message(error.message))

    def resultcode(self, body: dict[Any, Any], entry: ErrorCode) -> None:
        found = body.get("resultcode")
        if isinstance(found, str) and found != entry.resultcode:
            self.lenient(
                "resultcode",
                "resultcode-match",
                f"resultcode must be {entry.resultcode!r} for {entry.code}, not {short(found)}",
            )

    def orderid(self, body: dict[Any, Any]) -> None:
        result = body.get("result")
        if not isinstance(result, dict):
            return
        orderid = result.get("orderid")
        if not isinstance(orderid, str):
            return  # missing or not a string: the schema named it
        field = "result.orderid"
        if _ORDERID.fullmatch(orderid) is None:
            # Usually the schema's pattern said so already; Python's "$" also lets a
            # trailing newline through, which the wire must not carry.
            self.lenient(
                field,
                "orderid-format",
                f'orderid must be "J" + yyyyMMddHHmmss + digits, not {short(orderid)}',
            )
            return
        stamp, suffix = orderid[1:15], orderid[15:]
        try:
            dt.datetime(
                int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]),
                int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14]),
            )  # fmt: skip
        except ValueError:
            self.lenient(
                field, "orderid-date", f"orderid timestamp {stamp} is not a real date/time"
            )
        if not (len(suffix) == _STRICT_ORDERID_DIGITS and suffix.isdigit()):
            self.lenient(
                field,
                "orderid-format",
                f"orderid must end in exactly 4 digits after the timestamp, not {suffix!r}",
            )

    def reason_text(self, body: dict[Any, Any], entry: ErrorCode | None, code_ok: bool) -> None:
        text = body.get("reason")
        if not isinstance(text, str) or not text:
            return  # missing, wrong type or empty: the schema named it
        if not text.strip():
            self.lenient("reason", "non-empty", "reason must not be blank")
            return
        if not code_ok:
            return  # no catalogue entry to compare with
        finding = reason_finding(text, entry, strict=self.strict, expected=self.reason)
        if finding is not None:
            how, rule, message = finding
            {"fail": self.fail, "warn": self.warn, "lenient": self.lenient}[how](
                "reason", rule, message
            )

    def key_echo(self, body: object, key: str) -> None:
        """The key sent, echoed back in ``result`` or ``reason``: a leak waiting to happen."""
        if not isinstance(body, dict):
            return
        for field in ("result", "reason"):
            if any(contains_key(text, key) for text in _strings(body.get(field))):
                self.lenient(
                    field,
                    "key-echo",
                    f"{field} echoes the API key (shown as <key>): anything that prints this "
                    "answer leaks the key",
                )

    def key_order(self, body: dict[Any, Any], kind: str) -> None:
        order = _KEY_ORDER[kind]
        keys = [k for k in body if k in order]
        if len(keys) == len(order) and keys != order:
            self.lenient("$", "key-order", f"keys in order {keys}, the wire has {order}")
        result = body.get("result")
        if isinstance(result, dict):
            inner = [k for k in result if k in _RESULT_KEY_ORDER]
            if len(inner) == len(_RESULT_KEY_ORDER) and inner != _RESULT_KEY_ORDER:
                self.lenient(
                    "result",
                    "key-order",
                    f"keys in order {inner}, the wire has {_RESULT_KEY_ORDER}",
                )


def _short_message(message: str) -> str:
    return message if len(message) <= 2 * _MAX_SHOWN else message[: 2 * _MAX_SHOWN - 3] + "..."
