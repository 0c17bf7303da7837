"""``juhe-contract learn RECORDING [-o OUT]``: what live said, for a maintainer to review.

Reads a recording (docs/recording.md; one holding a key or a plaintext number is refused,
naming the line) and summarises it: the HTTP statuses and content types, the codes and
the ``reason`` wordings live used (each judged against the catalogue: its own words, a
known variant, or other words), the tenure codes and the orderid forms, and the shapes the
catalogue does not know (the tolerant verdict's rules, counted). With ``-o OUT`` it writes
a suggested scenario: the recording replayed (its hashes answer as live did), live's
share of tenure codes as the default weights, and the changes the catalogue may need as
comments at the top. Nothing is committed: the file is for a person to read, change and
commit (``juhe-mock validate OUT`` checks it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES
from ..errors import DocumentError
from ..validate import validate_report
from ..wording import reason_finding
from .recording import body_bytes, read_recording

__all__ = ["Learned", "add_parser", "learn", "main", "scenario_text"]


def _shape(orderid: str) -> str:
    """An orderid's form: ``J`` + 18 digits is ``J9{18}``; letters ``A``/``a``, digits ``9``."""
    kinds = ("9" if c.isdigit() else "A" if c.isupper() else "a" for c in orderid[1:])
    shape = orderid[:1]
    for kind, group in itertools.groupby(kinds):
        n = len(list(group))
        shape += kind + (f"{{{n}}}" if n > 1 else "")
    return shape


class Learned:
    """What a recording shows, counted."""

    def __init__(self, entries: Sequence[Mapping[str, Any]], source: str) -> None:
        self.source = source
        self.lines = len(entries)
        self.times = sorted(str(e["time"]) for e in entries)
        self.sources = Counter(str(e["source"]) for e in entries)
        self.statuses: Counter[str] = Counter()
        self.codes: Counter[int] = Counter()
        self.reasons: dict[int, Counter[str]] = {}
        self.tenures: Counter[str] = Counter()
        self.orderids: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.billed = sum(1 for e in entries if e.get("billed") is True)
        for entry in entries:
            self._add(entry)

    def _add(self, entry: Mapping[str, Any]) -> None:
        status = entry["status"]
        self.statuses[f"HTTP {status} {entry['content_type'] or '-'}" if status else
                      f"no answer ({entry.get('problem', '?')})"] += 1  # fmt: skip
        try:
            body = json.loads((body_bytes(entry) or b"").decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return
        if not isinstance(body, dict):
            return
        report = validate_report(body, strict=False)
        for finding in (*report.violations, *report.warnings):
            self.rules[f"{finding.field} [{finding.rule}]"] += 1
        code = body.get("error_code")
        if type(code) is not int:
            return
        self.codes[code] += 1
        reason = body.get("reason")
        if isinstance(reason, str):
            self.reasons.setdefault(code, Counter())[reason] += 1
        result = body.get("result")
        if code == SUCCESS_CODE and isinstance(result, dict):
            if isinstance(result.get("code"), str):
                self.tenures[result["code"]] += 1
            if isinstance(result.get("orderid"), str):
                self.orderids[_shape(result["orderid"])] += 1

    def judged_reason(self, code: int, reason: str) -> str:
        """``the catalogue's``, ``a known variant`` or ``other words``."""
        entry = ERROR_CODES.get(code)
        if code != SUCCESS_CODE and entry is None:
            return "a code unknown to the catalogue"
        found = reason_finding(reason, entry, strict=False) if reason.strip() else (
            "", "non-empty", "")  # fmt: skip
        if found is None:
            return "the catalogue's words"
        return {"reason-variant": "a known variant"}.get(found[1], "other words")

    def changes(self) -> list[str]:
        """What the catalogue (contract/codes.py) may need, one line each."""
        notes = []
        for code in sorted(self.codes):
            if code != SUCCESS_CODE and code not in ERROR_CODES:
                notes.append(f"error_code {code} is unknown to the catalogue (seen "
                             f"{self.codes[code]}x): add it to contract/codes.py")  # fmt: skip
            for reason, n in sorted(self.reasons.get(code, {}).items()):
                if self.judged_reason(code, reason) == "other words":
                    notes.append(f"error_code {code}: reason {reason!r} ({n}x) is not "
                                 "a known variant: add it if live keeps it")  # fmt: skip
        for tenure in sorted(set(self.tenures) - set(TENURE_CODES)):
            notes.append(f"tenure code {tenure!r} is unknown to the catalogue "
                         f"({self.tenures[tenure]}x)")  # fmt: skip
        return notes

    def text(self) -> str:
        """The summary, for people."""
        span = f"{self.times[0]} .. {self.times[-1]}" if self.times else "empty"
        lines = [f"juhe-contract learn {self.source}",
                 f"{self.lines} answers ({span}); from "
                 + ", ".join(f"{s} {n}" for s, n in sorted(self.sources.items()))
                 + f"; {self.billed} billed", "", "answers:"]  # fmt: skip
        lines += [f"  {n:>6}  {what}" for what, n in self.statuses.most_common()]
        lines += ["", "codes and reasons:"]
        for code in sorted(self.codes):
            entry = ERROR_CODES.get(code)
            words = "success" if code == SUCCESS_CODE else (entry.words if entry else "unknown")
            lines.append(f"  {code} ({words}): {self.codes[code]}")
            for reason, n in self.reasons.get(code, Counter()).most_common():
                lines.append(f"      {n:>5}  {reason!r}: {self.judged_reason(code, reason)}")
        if self.tenures:
            lines += ["", "tenure codes: " + ", ".join(
                f"{c} {n}" for c, n in sorted(self.tenures.items()))]  # fmt: skip
        if self.orderids:
            lines += ["orderid forms: " + ", ".join(
                f"{f} {n}" for f, n in self.orderids.most_common())]  # fmt: skip
        lines += ["", "shapes (the tolerant verdict's findings):"]
        lines += [f"  {n:>6}  {rule}" for rule, n in self.rules.most_common()] or ["  none"]
        changes = self.changes()
        lines += ["", "catalogue changes to consider:"]
        lines += [f"  - {c}" for c in changes] or ["  none"]
        return "\n".join(lines) + "\n"


def learn(path: str | Path) -> Learned:
    """Read and summarise a recording. :raises DocumentError: naming the file and line."""
    return Learned(read_recording(path), str(path))


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string


def scenario_text(learned: Learned, recording: str | Path, out: str | Path) -> str:
    """A scenario document (YAML) that speaks live's dialect: the recording replayed, live's
    share of tenure codes as the default, and the summary and catalogue notes as comments."""
    where = os.path.relpath(Path(recording).resolve(), Path(out).resolve().parent)
    lines = [f"# Suggested by juhe-contract learn from {recording}: review it before you",
             "# commit it. Its hashes answer as live did (replay); other hashes follow",
             "# live's share of tenure codes.", "#"]  # fmt: skip
    lines += [f"# {line}".rstrip() for line in learned.text().splitlines()]
    lines += ["", "version: 1",
              "description: " + _yaml(f"Live's dialect, learned from {Path(recording).name} "
                                      f"({learned.lines} answers)"),
              "replay:", f"  - {_yaml(where)}"]  # fmt: skip
    known = {c: n for c, n in learned.tenures.items() if c in TENURE_CODES}
    if known:
        lines += ["default:", "  answer: tenure", "  weights:"]
        lines += [f"    {_yaml(c)}: {n}" for c, n in sorted(known.items())]
    elif learned.codes.get(234803) and not learned.codes.get(SUCCESS_CODE):
        lines += ["default:", "  answer: no_record  # live found no record for any hash asked"]
    return "\n".join(lines) + "\n"


def add_parser(commands: Any) -> None:
    """``learn`` on ``juhe-contract``'s sub-command parser."""
    sub = commands.add_parser("learn", help="summarise a recording; suggest a scenario")
    sub.add_argument("recording", metavar="RECORDING", help="a recording (JSON Lines)")
    sub.add_argument("-o", "--out", metavar="OUT",
                     help="write a suggested scenario (YAML) here, for review")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """0 summarised (and written); 2 a recording that cannot be used, or OUT unwritable."""
    try:
        learned = learn(args.recording)
    except DocumentError as exc:
        print(f"juhe-contract: {exc}", file=sys.stderr)
        return 2
    print(learned.text(), end="")
    if args.out:
        try:
            Path(args.out).write_text(scenario_text(learned, args.recording, args.out), "utf-8")
        except OSError as exc:
            print(f"juhe-contract: {args.out}: cannot write it ({type(exc).__name__})",
                  file=sys.stderr)  # fmt: skip
            return 2
        print(f"wrote {args.out}: review it, then `juhe-mock validate {args.out}`")
    return 0
