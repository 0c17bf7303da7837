"""A probe run for people (a table), for machines (JSON) and for CI (JUnit XML).

Nothing here ever holds the key: probes name only which key they sent, and every text is
passed through ``scrub`` (the CLI's removes the key in case a server echoed it). Hashes are
shown by their first 8 hex digits; no plaintext number is ever sent, so none can appear.
Times: the JSON report's ``timestamp`` and JUnit's are when the probes began, in UTC
(ISO 8601 with ``+00:00``); ``seconds``/``time`` are each probe's, from sending to judging.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any

from ..codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES
from ..version import version
from .budget import Usage
from .probe import ProbeResult, Run

__all__ = [
    "HEADER",
    "answer_excerpt",
    "codes_coverage",
    "json_report",
    "junit_xml",
    "probe_row",
    "spend_line",
    "text_report",
    "timestamp",
    "verdict_line",
]

Scrub = Callable[[str], str]
_SHOWN_BYTES = 300


def _same(text: str) -> str:
    return text


def codes_coverage(run: Run) -> dict[str, list[Any]]:
    """Which of the catalogue's codes (0 and the 18 errors) and tenure codes came back."""
    seen = run.codes_seen()
    every = [SUCCESS_CODE, *ERROR_CODES]
    tenures = {
        r.answer.code
        for r in run.results
        if r.answer is not None and r.answer.error_code == SUCCESS_CODE
    }
    return {
        "seen": [c for c in every if c in seen],
        "never": [c for c in every if c not in seen],
        "unknown": [c for c in seen if c not in every],
        "tenure_seen": [t for t in TENURE_CODES if t in tenures],
    }


def _billed(result: ProbeResult) -> str:
    if result.answer is None:
        return "-"
    return {True: "billed", False: "free", None: "unknown"}[result.answer.billed]


#: The columns of :func:`probe_row`.
HEADER = ("#", "probe", "asked", "answer", "verdict", "billed")


def probe_row(i: int, result: ProbeResult) -> tuple[str, ...]:
    """One probe as the table shows it (:data:`HEADER`): never a key, never a number."""
    answer = result.answer.summary() if result.answer is not None else "-"
    if result.not_applicable is not None:
        verdict = f"not applicable ({result.not_applicable})"
    elif result.not_sent is not None:
        verdict = f"not sent ({result.not_sent})"
    else:
        verdict = result.status
    return (str(i), result.probe.name, result.probe.asked, answer, verdict, _billed(result))


def timestamp(run: Run) -> str | None:
    """When the probes began: ISO 8601 in UTC, to the second (``2026-11-28T02:17:00+00:00``)."""
    return run.started.isoformat(timespec="seconds") if run.started is not None else None


def spend_line(usage: Usage) -> str:
    limit = "no limit" if usage.limit is None else str(usage.limit)
    return (
        f"billed calls spent: {usage.spent} of budget {limit} ({usage.billed} billed, "
        f"{usage.unknown} unreadable answers counted as spent); {usage.calls} calls made, "
        f"{usage.refused} refused by the budget"
    )


def verdict_line(run: Run) -> str:
    sent = [r for r in run.results if r.verdict is not None]
    drift = sum(1 for r in sent if r.status == "drift")
    verdict = "CONFORM" if run.conform else "DRIFT"
    return f"verdict: {verdict} ({len(sent)} probes sent, {drift} drifted)"


def text_report(
    run: Run,
    *,
    base_url: str,
    usage: Usage,
    scrub: Scrub = _same,
    about: Mapping[str, Any] | None = None,
) -> str:
    """The table of probes, the codes seen and never seen, and the budget spent.

    :param about: lines to show under the title (``target``, ``seed``, ...).
    """
    rows: list[tuple[str, ...]] = [HEADER]
    notes: list[str] = []
    for i, result in enumerate(run.results, 1):
        rows.append(probe_row(i, result))
        if result.verdict is not None:
            notes += [f"  #{i} {p}" for p in result.verdict.problems]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = [f"juhe-contract check {base_url}"]
    lines += [f"{name}: {value}" for name, value in (about or {}).items()]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if notes:
        lines += ["", "drift:", *notes]
    cover = codes_coverage(run)
    lines += [
        "",
        "codes seen: " + (", ".join(map(str, cover["seen"])) or "none"),
        "codes never seen: " + (", ".join(map(str, cover["never"])) or "none"),
    ]
    if cover["unknown"]:
        lines.append("codes unknown to the catalogue: " + ", ".join(map(str, cover["unknown"])))
    if cover["tenure_seen"]:
        lines.append("tenure codes seen: " + ", ".join(cover["tenure_seen"]))
    lines += [spend_line(usage), verdict_line(run)]
    return scrub("\n".join(lines) + "\n")


def answer_excerpt(result: ProbeResult) -> str | None:
    """The start of a drifting answer's body, as text (not scrubbed yet); None otherwise."""
    if result.verdict is None or result.verdict.ok or result.answer is None:
        return None
    return result.answer.content[:_SHOWN_BYTES].decode("utf-8", "replace")


def _probe_entry(result: ProbeResult, scrub: Scrub) -> dict[str, Any]:
    probe, answer = result.probe, result.answer
    entry: dict[str, Any] = {
        "name": probe.name,
        "asked": probe.asked,
        "method": probe.method,
        "key": probe.key_kind,
        "expected": list(probe.codes),
        "verdict": result.status,
        "not_sent": result.not_sent,
        "not_applicable": result.not_applicable,
        "seconds": round(result.seconds, 3),
    }
    if answer is not None:
        entry["http_status"] = answer.status
        entry["content_type"] = answer.content_type
        entry["error_code"] = answer.error_code if type(answer.error_code) is int else None
        entry["code"] = answer.code if isinstance(answer.code, str) else None
        entry["billed"] = answer.billed
        entry["outcome"] = answer.summary()
    if result.verdict is not None:
        entry["problems"] = list(result.verdict.problems)
        entry["warnings"] = list(result.verdict.warnings)
        excerpt = answer_excerpt(result)
        if excerpt is not None:
            entry["answer"] = excerpt
    scrubbed: dict[str, Any] = _scrubbed(entry, scrub)
    return scrubbed


def _scrubbed(value: Any, scrub: Scrub) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, scrub) for v in value]
    return value


def json_report(
    run: Run,
    *,
    base_url: str,
    usage: Usage,
    scrub: Scrub = _same,
    about: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run as a JSON-ready dict: the tool's version, when (UTC), the verdict, every
    probe, codes and budget."""
    return {
        "tool": "juhe-contract",
        "version": version(),
        "timestamp": timestamp(run),
        "seconds": round(run.seconds, 3),
        "base_url": scrub(base_url),
        **_scrubbed(dict(about or {}), scrub),
        "verdict": "conform" if run.conform else "drift",
        "probes": [_probe_entry(r, scrub) for r in run.results],
        "codes": codes_coverage(run),
        "budget": {
            "limit": usage.limit,
            "spent": usage.spent,
            "billed": usage.billed,
            "unknown": usage.unknown,
            "calls": usage.calls,
            "refused": usage.refused,
            "unexpected": usage.unexpected,
            "pending": usage.pending,
        },
    }


def junit_xml(run: Run, *, base_url: str, scrub: Scrub = _same) -> bytes:
    """One ``<testcase>`` per probe: a ``<failure>`` for drift, ``<skipped>`` if not sent;
    each with its ``time``, the suite with the total and its ``timestamp``."""
    failures = sum(1 for r in run.results if r.status == "drift")
    skipped = sum(1 for r in run.results if r.status in ("not sent", "not applicable"))
    suite = ET.Element(
        "testsuite",
        name="juhe-contract",
        tests=str(len(run.results)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{run.seconds:.3f}",
    )
    stamp = timestamp(run)
    if stamp is not None:
        suite.set("timestamp", stamp)
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="base_url", value=scrub(base_url))
    ET.SubElement(properties, "property", name="version", value=version())
    for result in run.results:
        case = ET.SubElement(
            suite, "testcase", classname="juhe-contract", name=scrub(result.probe.name),
            time=f"{result.seconds:.3f}",
        )  # fmt: skip
        if result.not_applicable is not None:
            why = f"not applicable: {result.not_applicable}"
            ET.SubElement(case, "skipped", message=scrub(why))
        elif result.not_sent is not None:
            ET.SubElement(case, "skipped", message=scrub(result.not_sent))
        elif result.verdict is not None and not result.verdict.ok:
            text = scrub("\n".join(result.verdict.problems))
            failure = ET.SubElement(case, "failure", message=text.splitlines()[0])
            failure.text = text
        if result.answer is not None:
            out = ET.SubElement(case, "system-out")
            out.text = scrub(f"asked: {result.probe.asked}\nanswer: {result.answer.summary()}")
    root = ET.Element("testsuites")
    root.append(suite)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
