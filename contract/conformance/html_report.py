"""A probe run as one self-contained HTML page (``juhe-contract check --html FILE``).

The page needs nothing else: its CSS is inline, it has no script, and it fetches nothing
(no stylesheet, font, image or CDN: its Content-Security-Policy forbids all of them), so it
opens from a CI artifact on a machine without internet. It holds what the text report
holds, for people who would rather look than read: the probes (what was asked, never a
key and never a number; the answer; the verdict with its findings; billed or free; the
time), the catalogue's codes seen and never seen, and the spend against the budget and
the ledger. Every text is escaped (``html.escape``) after ``scrub`` removed the key, so a
server that echoes it, or answers markup, cannot put either in the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from ..codes import ERROR_CODES, SUCCESS_CODE, TENURE_CODES
from ..version import version
from .budget import Usage
from .ledger import LedgerStatus
from .probe import ProbeResult, Run
from .report import (
    HEADER,
    answer_excerpt,
    codes_coverage,
    probe_row,
    spend_line,
    timestamp,
    verdict_line,
)

__all__ = ["html_report"]

Scrub = Callable[[str], str]

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_STYLE = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #dde2ea; --paper: #f5f7fa;
  --ok: #1a7f45; --ok-bg: #e3f4ea; --bad: #b42318; --bad-bg: #fdeceb;
  --skip: #6b5a00; --skip-bg: #fbf3d0; --accent: #2456a6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "WenQuanYi Micro Hei", sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 28px 32px 40px; }
header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 16px; margin: 0 0 12px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12.5px; }
.badge { display: inline-block; padding: 3px 10px; border-radius: 999px; font-weight: 600;
  font-size: 12px; letter-spacing: .02em; white-space: nowrap; }
.big { font-size: 15px; padding: 5px 14px; }
.conform { color: var(--ok); background: var(--ok-bg); }
.drift { color: var(--bad); background: var(--bad-bg); }
.skip { color: var(--skip); background: var(--skip-bg); }
.about { color: var(--muted); margin: 8px 0 22px; display: flex; flex-wrap: wrap;
  gap: 4px 22px; }
.about b { color: var(--ink); font-weight: 600; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px; margin-bottom: 18px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px;
  text-transform: uppercase; letter-spacing: .04em; border-bottom: 2px solid var(--line);
  padding: 6px 10px; }
td { border-bottom: 1px solid var(--line); padding: 7px 10px; vertical-align: top; }
tr:last-child td { border-bottom: 0; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tbody tr.row-drift td { background: #fff6f5; }
tbody tr.row-drift td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
tbody tr.row-skip td { color: var(--muted); }
td.num { color: var(--muted); text-align: right; width: 2em; }
td.time { color: var(--muted); text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.name { min-width: 210px; }
.stats { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin: 0 0 18px; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 10px 14px; }
.stat b { display: block; font-size: 22px; line-height: 1.2; }
.stat span { color: var(--muted); font-size: 12px; }
.stat.bad b { color: var(--bad); }
.stat.good b { color: var(--ok); }
ul.findings { margin: 6px 0 0; padding-left: 18px; }
ul.findings li { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
li.problem { color: var(--bad); }
li.warning { color: var(--skip); }
details { margin-top: 6px; }
summary { color: var(--muted); font-size: 12px; }
details pre { white-space: pre-wrap; word-break: break-all; background: var(--paper);
  border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; margin: 4px 0 0;
  font-size: 12px; max-width: 420px; }
.columns { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; }
.codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 8px; }
.code { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px;
  background: #fff; color: var(--muted); }
.code b { display: block; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.code span { font-size: 12px; }
.code.seen { border-color: #9fd3b4; background: var(--ok-bg); color: var(--ink); }
.code.seen b { color: var(--ok); }
.code.unknown { border-color: #f0a8a2; background: var(--bad-bg); }
.legend { color: var(--muted); margin: 10px 0 0; font-size: 12px; }
dl.spend { display: grid; grid-template-columns: auto 1fr; gap: 6px 18px; margin: 0; }
dl.spend dt { color: var(--muted); }
dl.spend dd { margin: 0; font-weight: 600; }
.meter { height: 10px; border-radius: 5px; background: var(--line); overflow: hidden;
  margin: 4px 0 14px; }
.meter div { height: 100%; background: var(--accent); }
footer { color: var(--muted); font-size: 12px; text-align: center; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _stats(run: Run, usage: Usage) -> str:
    counts = {s: sum(1 for r in run.results if r.status == s) for s in
              ("conform", "drift", "not sent", "not applicable")}  # fmt: skip
    sent = counts["conform"] + counts["drift"]
    limit = "no limit" if usage.limit is None else str(usage.limit)
    cards = [
        ("", str(len(run.results)), f"probes, {sent} sent"),
        ("good", str(counts["conform"]), "conform"),
        ("bad" if counts["drift"] else "", str(counts["drift"]), "drifted"),
        ("", str(counts["not sent"]), "not sent"),
        ("", str(counts["not applicable"]), "not applicable"),
        ("", str(usage.spent), f"billed calls spent, budget {limit}"),
    ]
    return "".join(
        f'<div class="stat {kind}"><b>{_e(value)}</b><span>{_e(words)}</span></div>'
        for kind, value, words in cards
    )


def _verdict_class(result: ProbeResult) -> str:
    return {"conform": "conform", "drift": "drift"}.get(result.status, "skip")


def _probe_rows(run: Run, scrub: Scrub) -> str:
    rows = []
    for i, result in enumerate(run.results, 1):
        num, name, asked, answer, verdict, billed = (scrub(c) for c in probe_row(i, result))
        findings = ""
        if result.verdict is not None and (result.verdict.problems or result.verdict.warnings):
            items = [f'<li class="problem">{_e(scrub(p))}</li>' for p in result.verdict.problems]
            items += [f'<li class="warning">{_e(scrub(w))}</li>' for w in result.verdict.warnings]
            findings = f'<ul class="findings">{"".join(items)}</ul>'
        excerpt = answer_excerpt(result)
        if excerpt is not None:  # what came back, to read without opening the JSON report
            findings += (f"<details><summary>the answer</summary>"
                         f"<pre>{_e(scrub(excerpt))}</pre></details>")  # fmt: skip
        seconds = f"{result.seconds:.2f} s" if result.verdict is not None else "-"
        rows.append(
            f'<tr class="row-{_verdict_class(result)}"><td class="num">{_e(num)}</td>'
            f'<td class="name">{_e(name)}</td><td class="nowrap"><code>{_e(asked)}</code></td>'
            f'<td class="nowrap"><code>{_e(answer)}</code></td>'
            f'<td><span class="badge {_verdict_class(result)}">{_e(verdict)}</span>'
            f"{findings}</td><td>{_e(billed)}</td>"
            f'<td class="time">{_e(seconds)}</td></tr>'
        )
    head = "".join(f"<th>{_e(h)}</th>" for h in (*HEADER, "time"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _codes(run: Run, scrub: Scrub) -> str:
    cover = codes_coverage(run)
    seen = set(cover["seen"])
    chips = []
    for code in [SUCCESS_CODE, *ERROR_CODES]:
        words = "success (billed)" if code == SUCCESS_CODE else ERROR_CODES[code].english
        state = "seen" if code in seen else "never"
        chips.append(
            f'<div class="code {state}" title="{state}"><b>{_e(code)}</b>'
            f"<span>{_e(words)}</span></div>"
        )
    for code in cover["unknown"]:
        chips.append(
            f'<div class="code unknown" title="unknown"><b>{_e(scrub(str(code)))}</b>'
            "<span>unknown to the catalogue</span></div>"
        )
    seen_words = ", ".join(map(str, cover["seen"])) or "none"
    never_words = ", ".join(map(str, cover["never"])) or "none"
    lines = [
        f'<p class="legend" id="codes-seen">seen: <b>{_e(seen_words)}</b></p>',
        f'<p class="legend" id="codes-never">never seen: {_e(never_words)}</p>',
    ]
    if cover["tenure_seen"]:
        tenures = "; ".join(f"{t}: {TENURE_CODES[t].english}" for t in cover["tenure_seen"])
        lines.append(f'<p class="legend" id="tenures-seen">tenure codes seen: {_e(tenures)}</p>')
    return f'<div class="codes">{"".join(chips)}</div>{"".join(lines)}'


def _meter(used: int, cap: int | None) -> str:
    if not cap:
        return ""
    share = min(100.0, 100.0 * used / cap)
    bar = f'<div style="width:{share:.0f}%"></div>'
    return f'<div class="meter" title="{used} of {cap} spent">{bar}</div>'


def _spend(usage: Usage, ledger: LedgerStatus | None, ledger_path: str | None, scrub: Scrub) -> str:
    limit = "no limit" if usage.limit is None else str(usage.limit)
    items = [
        ("billed calls spent", f"{usage.spent} of budget {limit}"),
        ("billed answers", str(usage.billed)),
        ("unreadable answers (counted as spent)", str(usage.unknown)),
        ("calls made", str(usage.calls)),
        ("refused by the budget", str(usage.refused)),
    ]
    if ledger is not None:
        for period, used, cap in (
            ("today (Beijing)", ledger.day_committed, ledger.day_cap),
            ("this month", ledger.month_committed, ledger.month_cap),
        ):
            items.append((f"ledger, {period}", f"{used} spent" + (
                f" of cap {cap}" if cap is not None else " (no cap)")))  # fmt: skip
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(scrub(v))}</dd>" for k, v in items)
    parts = [_meter(usage.spent, usage.limit), f'<dl class="spend">{rows}</dl>']
    if ledger is not None and ledger_path is not None:
        where = _e(scrub(ledger_path))
        parts.append(f'<p class="legend">ledger <code>{where}</code>, day {_e(ledger.day)}</p>')
    parts.append(f'<p class="legend">{_e(scrub(spend_line(usage)))}</p>')
    return "".join(parts)


def html_report(
    run: Run,
    *,
    base_url: str,
    usage: Usage,
    scrub: Scrub = lambda text: text,
    about: Mapping[str, Any] | None = None,
    ledger: LedgerStatus | None = None,
    ledger_path: str | None = None,
) -> str:
    """The run as one HTML page (a ``str``); see the module's docstring."""
    verdict = "conform" if run.conform else "drift"
    facts = {**(about or {}), "started (UTC)": timestamp(run) or "-",
             "probes took": f"{run.seconds:.2f} s", "juhe-contract": version()}  # fmt: skip
    about_html = "".join(
        f"<span>{_e(name)}: <b>{_e(scrub(str(value)))}</b></span>" for name, value in facts.items()
    )
    title = f"juhe-contract check {scrub(base_url)}: {verdict.upper()}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<header>
<h1>juhe-contract check <code>{_e(scrub(base_url))}</code></h1>
<span class="badge big {verdict}" id="verdict">{_e(scrub(verdict_line(run)))}</span>
</header>
<div class="about" id="about">{about_html}</div>
<div class="stats" id="stats">{_stats(run, usage)}</div>
<section id="probes">
<h2>Probes</h2>
{_probe_rows(run, scrub)}
</section>
<div class="columns">
<section id="codes">
<h2>Codes seen and never seen</h2>
{_codes(run, scrub)}
</section>
<section id="spend">
<h2>Spend</h2>
{_spend(usage, ledger, ledger_path, scrub)}
</section>
</div>
<footer>written by juhe-contract {_e(version())}: no key, no number; hashes by their first
8 hex digits</footer>
</main>
</body>
</html>
"""
