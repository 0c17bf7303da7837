"""Probing a server that claims to be the API: one budgeted request, and the contract's verdict.

:func:`send` asks once, through a :class:`~contract.conformance.budget.Budget` (a call that might be
billed reserves a unit first); :func:`judge` says whether the answer keeps the contract
(HTTP 200, a JSON object, ``contract.validate``, and the codes the probe expects).
:func:`standard_probes` is the fixed set ``juhe-contract check`` runs; :func:`run_probes`
runs a list and gathers what was seen. The key is never stored in a probe or an answer:
a probe says only *which* key it sends (none, empty, the given one, a wrong one).

The well-formed hashes the probes send are digests of random bytes drawn from the run's
seed (:func:`random_hash`): no one's number, so no probe looks a person up, and the seed
printed in the report reproduces them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from ..codes import ERROR_CODES, PATH, SUCCESS_CODE
from ..media import is_json_media
from ..numbers import random_digest
from ..validate import validate_report
from .budget import Budget, BudgetExceeded, billing, may_be_billed
from .canaries import Canary

__all__ = [
    "WRONG_KEY",
    "Answer",
    "Probe",
    "ProbeResult",
    "Verdict",
    "is_json_media",
    "judge",
    "new_seed",
    "random_hash",
    "run_probes",
    "send",
    "standard_probes",
]

#: A key that cannot be a real one: Juhe keys are 32 lower-case hex digits.
WRONG_KEY = "juhe-contract-not-a-key!"
#: Which key a probe sends: none at all, an empty one, the caller's, or one that cannot be valid.
KEY_KINDS = ("none", "empty", "given", "wrong")
#: Why a wrong-key probe is moot against a juhe-mock that says it accepts every key.
NOT_APPLICABLE_ANY_KEY = "the target accepts every key"


@dataclass(frozen=True)
class Answer:
    """What came back: the HTTP status (None when nothing did), headers and body."""

    status: int | None
    content_type: str = ""
    content: bytes = b""
    body: Any = None  # the parsed JSON, None if the content is not JSON
    is_json: bool = False
    problem: str | None = None  # why there is no answer (the exception's class only)
    billed: bool | None = None
    replayed: bool = False  # answered from the run's record: the same request asked before

    @property
    def error_code(self) -> Any:
        return self.body.get("error_code") if isinstance(self.body, dict) else None

    @property
    def code(self) -> Any:
        result = self.body.get("result") if isinstance(self.body, dict) else None
        return result.get("code") if isinstance(result, dict) else None

    def summary(self) -> str:
        """The outcome in a few words: ``0 code 3``, ``234802``, ``HTTP 502 text/html``."""
        if self.status is None:
            return f"no answer ({self.problem})"
        if self.status != 200 or not self.is_json:
            kind = self.content_type.split(";")[0] or "no content type"
            return f"HTTP {self.status} {kind}" + ("" if self.is_json else ", not JSON")
        if self.code is not None:
            return f"{self.error_code!r} code {self.code!r}"
        return repr(self.error_code)


def send(
    session: requests.Session,
    base_url: str,
    *,
    key: str | None,
    mobile: str | None,
    budget: Budget,
    method: str = "POST",
    timeout: float = 10.0,
) -> Answer:
    """Ask ``base_url`` once, through ``budget``.

    :raises BudgetExceeded: before anything is sent, if the call might be billed and the
        budget has no unit left.
    """
    ticket = budget.open(key=key, mobile=mobile)
    params = {
        name: value for name, value in (("key", key), ("mobile", mobile)) if value is not None
    }
    url = base_url.rstrip("/") + PATH
    try:
        if method == "GET":
            response = session.get(url, params=params, timeout=timeout)
        else:
            response = session.post(url, data=params, timeout=timeout)
        content = response.content
    except requests.RequestException as exc:
        # Only the class: a message could hold the URL, and a GET URL holds the key.
        ticket.close(None)
        return Answer(None, problem=type(exc).__name__, billed=ticket.billed)
    try:
        body, is_json = json.loads(content.decode("utf-8")), True
    except (UnicodeDecodeError, ValueError):
        body, is_json = None, False
    billed = ticket.close(body)
    return Answer(
        response.status_code, response.headers.get("Content-Type", ""), content, body, is_json,
        billed=billed,
    )  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The contract's verdict on one answer: ``problems`` break it, ``warnings`` do not."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def judge(
    answer: Answer,
    *,
    codes: Iterable[int],
    tenures: Sequence[str] | None = None,
    strict: bool = False,
    reason: str | None = None,
    key: str | None = None,
) -> Verdict:
    """Does ``answer`` keep the contract and answer one of ``codes`` (and ``tenures``)?

    Every problem names its rule in brackets, as :class:`contract.Violation` does:
    ``[http-status]``, ``[content-type]``, ``[json]``, ``[expected-code]``,
    ``[expected-tenure]`` or the validator's own (``result.code: ... [enum]``). Given the
    ``key`` sent, an answer echoing it is flagged and no text repeats it.
    """
    expected = sorted(set(codes))
    if answer.status is None:
        return Verdict((f"$: no answer at all ({answer.problem}) [no-answer]",))
    problems: list[str] = []
    if answer.status != 200:
        problems.append(f"$: HTTP {answer.status} instead of 200 [http-status]")
    if not answer.is_json:
        kind = answer.content_type or "no content type"
        problems.append(f"$: the body is not JSON ({kind}, {len(answer.content)} bytes) [json]")
        return Verdict(tuple(problems))
    notes: list[str] = []
    if not answer.content_type:
        notes.append("$: the answer has no Content-Type [content-type]")
    elif not is_json_media(answer.content_type):
        problems.append(f"$: Content-Type {answer.content_type!r} is not JSON [content-type]")
    report = validate_report(answer.body, strict=strict, reason=reason, key=key)
    problems += [str(v) for v in report.violations]
    code = answer.error_code
    if type(code) is int and code not in expected:
        if code == SUCCESS_CODE:
            words = "a success, billed"
        else:
            words = ERROR_CODES[code].words if code in ERROR_CODES else "unknown to the catalogue"
        wanted = " or ".join(map(str, expected))
        problems.append(f"error_code: expected {wanted}, got {code} ({words}) [expected-code]")
    elif code == SUCCESS_CODE and tenures is not None and answer.code not in tenures:
        wanted = "/".join(tenures)
        problems.append(f"result.code: expected {wanted}, got {answer.code!r} [expected-tenure]")
    return Verdict(tuple(problems), (*notes, *(str(w) for w in report.warnings)))


def new_seed() -> int:
    """A fresh seed for a run's inputs: 48 random bits (short enough to type back)."""
    return int.from_bytes(os.urandom(6), "big")


def random_hash(seed: int | None = None, n: int = 0) -> str:
    """A well-formed ``mobile`` that is no number's hash: the sha256 of random bytes.

    With ``seed``, the bytes are drawn from it (the ``n``-th of the run), so the same seed
    gives the same hashes; without, from the operating system.
    """
    if seed is None:
        return hashlib.sha256(os.urandom(32)).hexdigest()
    return random_digest(seed, n)


@dataclass(frozen=True)
class Probe:
    """One request to make and the codes it must answer.

    :param key_kind: one of ``none``, ``empty``, ``given``, ``wrong`` (never the key itself).
    :param asked: what is asked, for people: no key, no plaintext number.
    """

    name: str
    asked: str
    key_kind: str
    mobile: str | None
    codes: tuple[int, ...]
    method: str = "POST"
    tenures: tuple[str, ...] | None = None

    def key_for(self, key: str | None) -> str | None:
        return {"none": None, "empty": "", "given": key, "wrong": WRONG_KEY}[self.key_kind]

    def may_bill(self, key: str | None) -> bool:
        """Whether it carries ``key`` (and so reserves a unit of the budget); with no key
        given, nothing can be billed to the caller."""
        return bool(key) and may_be_billed(self.key_for(key), real_key=key)

    def billing(self, key: str | None) -> str:
        """``yes``, ``reserves`` or ``no`` (:func:`~contract.conformance.budget.billing`)."""
        return billing(self.key_for(key), self.mobile, real_key=key) if key else "no"


def _hash_words(digest: str) -> str:
    return f"sha256 {digest[:8]}… (64 hex)"


def standard_probes(canaries: Sequence[Canary] = (), seed: int | None = None) -> list[Probe]:
    """The probes of ``juhe-contract check``: the free ones first, then the billable ones.

    The one well-formed hash is :func:`random_hash` of ``seed``.
    """
    well_formed = random_hash(seed)
    free = [
        Probe("no key", f"POST no key, mobile={_hash_words(well_formed)}", "none",
              well_formed, (10001,)),
        Probe("empty key", f"POST key='', mobile={_hash_words(well_formed)}", "empty",
              well_formed, (10001,)),
        Probe("no key before bad mobile", "GET no key, mobile='abc'", "none", "abc", (10001,),
              method="GET"),
        Probe("wrong key before bad mobile", "POST key=<cannot be valid>, mobile=63 hex",
              "wrong", well_formed[:63], (10001,)),
        Probe("missing mobile", "POST key=<given>, no mobile", "given", None, (234802,)),
        Probe("empty mobile", "POST key=<given>, mobile=''", "given", "", (234802,)),
        Probe("63 hex", "POST key=<given>, mobile=63 hex", "given", well_formed[:63], (234802,)),
        Probe("65 hex", "POST key=<given>, mobile=65 hex", "given", well_formed + "a",
              (234802,)),
        Probe("non-hex character", "POST key=<given>, mobile=64 chars with a 'z'", "given",
              "z" + well_formed[1:], (234802,)),
        Probe("GET bad mobile", "GET key=<given>, mobile=63 hex", "given", well_formed[:63],
              (234802,), method="GET"),
    ]  # fmt: skip
    billable = [
        Probe("random hash", f"POST key=<given>, mobile={_hash_words(well_formed)}", "given",
              well_formed, (SUCCESS_CODE, 234803)),
    ]  # fmt: skip
    for canary in canaries:
        billable.append(
            Probe(
                f"canary: {canary.name}",
                f"POST key=<given>, mobile={_hash_words(canary.mobile_sha256)}",
                "given",
                canary.mobile_sha256,
                (canary.error_code,),
                tenures=canary.codes,
            )
        )
    return free + billable


@dataclass(frozen=True)
class ProbeResult:
    """One probe's fate: ``sent`` with its answer and verdict, or why it was not sent."""

    probe: Probe
    answer: Answer | None = None
    verdict: Verdict | None = None
    not_sent: str | None = None  # "budget 0", "no key given"
    not_applicable: str | None = None  # what the target said that makes the probe moot
    seconds: float = 0.0  # from sending to judging; 0 for a probe not sent

    @property
    def status(self) -> str:
        """``conform``, ``drift``, ``not applicable`` or ``not sent``."""
        if self.not_applicable is not None:
            return "not applicable"
        if self.verdict is None:
            return "not sent"
        return "conform" if self.verdict.ok else "drift"


@dataclass
class Run:
    """A run's results in order, when it started (UTC) and how long its probes took."""

    results: list[ProbeResult] = field(default_factory=list)
    started: dt.datetime | None = None
    seconds: float = 0.0

    @property
    def conform(self) -> bool:
        return all(r.status != "drift" for r in self.results)

    def codes_seen(self) -> list[int]:
        seen = {
            r.answer.error_code
            for r in self.results
            if r.answer is not None and type(r.answer.error_code) is int
        }
        return sorted(seen)


def run_probes(
    probes: Sequence[Probe],
    send_one: Callable[[Probe], Answer],
    *,
    key: str | None,
    strict: bool = False,
    accepts_any_key: bool = False,
    before: Callable[[int, Probe], None] | None = None,
    after: Callable[[int, ProbeResult], None] | None = None,
) -> Run:
    """Send each probe with ``send_one`` (which applies the budget) and judge each answer.

    :param accepts_any_key: the target said so (juhe-mock on its defaults): a wrong key
        cannot answer 10001 there, so the wrong-key probes are not applicable.
    :param before: called with a probe's number (from 1) before it is sent or set aside;
    :param after: with its number and result as soon as it is judged (the CLI's live rows).
    """
    run = Run(started=dt.datetime.now(dt.timezone.utc))
    began = time.monotonic()
    for i, probe in enumerate(probes, 1):
        if before is not None:
            before(i, probe)
        result = _run_one(probe, send_one, key=key, strict=strict,
                          accepts_any_key=accepts_any_key)  # fmt: skip
        run.results.append(result)
        if after is not None:
            after(i, result)
    run.seconds = time.monotonic() - began
    return run


def _run_one(
    probe: Probe,
    send_one: Callable[[Probe], Answer],
    *,
    key: str | None,
    strict: bool,
    accepts_any_key: bool,
) -> ProbeResult:
    if probe.key_kind == "wrong" and accepts_any_key:
        return ProbeResult(probe, not_applicable=NOT_APPLICABLE_ANY_KEY)
    if probe.key_kind == "given" and not key:
        return ProbeResult(probe, not_sent="no key given")
    began = time.monotonic()
    try:
        answer = send_one(probe)
    except BudgetExceeded as exc:
        return ProbeResult(probe, not_sent=exc.short)
    verdict = judge(answer, codes=probe.codes, tenures=probe.tenures, strict=strict, key=key)
    return ProbeResult(probe, answer, verdict, seconds=time.monotonic() - began)
