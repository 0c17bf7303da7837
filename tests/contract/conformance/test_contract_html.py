"""``juhe-contract check --html``: one self-contained page of the probes, the codes seen and
never seen, and the spend; escaped, without the key, without a script or a fetch.

The page is read with ``html.parser`` as a browser would build it (tags, attributes, the
text of each row and section); ``test_contract_html_browser.py`` renders it in Chromium.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from contract import ERROR_CODES, MAGIC_NUMBERS, SUCCESS_CODE
from contract.conformance.cli import main
from contract.version import version

from ...helpers.paths import SAMPLE_CANARIES
from ...helpers.standin import ODD_KEY, StandIn, spellings

#: Attributes through which a page loads something (or sends the reader somewhere).
FETCHING = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background"}


class Page(HTMLParser):
    """The page as parsed: every tag with its attributes, the text of every element with an
    ``id`` (its sections), the probe table's rows as lists of cell texts, the code chips."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.sections: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self.row_classes: list[str] = []
        self.header: list[str] = []
        self.chips: dict[str, str] = {}  # code -> its class ("seen", "never", "unknown")
        self.style = ""
        self._open: list[tuple[str, str | None]] = []  # (tag, id)
        self._texts: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._chip: str | None = None
        self.feed(text)
        self.close()
        self.sections = {k: " ".join(" ".join(v).split()) for k, v in self._texts.items()}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._open.append((tag, found.get("id")))
        classes = (found.get("class") or "").split()
        if tag == "tr" and self._inside("probes") and self._inside_tag("tbody"):
            self.rows.append([])
            self.row_classes.append(found.get("class") or "")
        if tag in ("td", "th") and self._inside("probes"):
            self._cell = []
        if tag == "div" and "code" in classes:
            self._chip = next(c for c in classes if c != "code")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.rows[-1] if tag == "td" else self.header).append(text)
            self._cell = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element in self._open:
            if element:
                self._texts.setdefault(element, []).append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._open and self._open[-1][0] == "style":
            self.style += data
        if self._chip is not None and self._open and self._open[-1][0] == "b":
            self.chips[data.strip()] = self._chip
            self._chip = None

    def _inside(self, element: str) -> bool:
        return any(found == element for _, found in self._open)

    def _inside_tag(self, tag: str) -> bool:
        return any(found == tag for found, _ in self._open)


def run_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str
) -> tuple[int, str, Page, dict[str, Any]]:
    page, report = tmp_path / "report.html", tmp_path / "report.json"
    status = main(["check", *args, "--html", str(page), "--report", str(report)])
    capsys.readouterr()
    text = page.read_text("utf-8")
    return status, text, Page(text), json.loads(report.read_text("utf-8"))


def assert_fetches_nothing(text: str, page: Page) -> None:
    assert "<script" not in text.lower()
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "base"), tag
        assert not FETCHING & set(attrs), (tag, attrs)
    assert "url(" not in page.style and "@import" not in page.style
    policy = "Content-Security-Policy"
    (csp,) = [a["content"] for _, a in page.tags if a.get("http-equiv") == policy]
    assert csp is not None and "default-src 'none'" in csp


def test_the_page_has_the_probes_the_codes_and_the_spend(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.json"
    status, text, page, report = run_check(
        capsys, tmp_path, "--base-url", stand_in.url, "--budget", "3", "--key", stand_in.key,
        "--canaries", str(SAMPLE_CANARIES), "--ledger", str(ledger), "--day-cap", "9",
    )  # fmt: skip
    assert status == 1  # the stand-in answers tenure code 3 to every canary
    assert_fetches_nothing(text, page)
    # The probe table: one row per probe, in order, saying what the JSON report says.
    assert page.header == ["#", "probe", "asked", "answer", "verdict", "billed", "time"]
    probes = report["probes"]
    assert len(page.rows) == len(probes) == 17
    for i, (row, probe) in enumerate(zip(page.rows, probes, strict=True), 1):
        number, name, asked, answer, verdict, billed, seconds = row
        assert (number, name, asked) == (str(i), probe["name"], probe["asked"])
        assert answer == probe.get("outcome", "-")
        assert verdict.startswith(probe["verdict"])
        assert billed == {True: "billed", False: "free", None: "-"}[probe.get("billed")]
        if probe["verdict"] == "not sent":
            assert seconds == "-"
        else:  # to the hundredth here, to the thousandth in the JSON report
            assert re.fullmatch(r"\d+\.\d\d s", seconds)
            assert float(seconds[:-2]) == pytest.approx(probe["seconds"], abs=0.006)
    drifted = [i for i, p in enumerate(probes) if p["verdict"] == "drift"]
    assert drifted and all(page.row_classes[i] == "row-drift" for i in drifted)
    for i in drifted:  # the finding, with its rule, and the answer, under the verdict
        assert all(problem in page.rows[i][4] for problem in probes[i]["problems"])
        assert " ".join(probes[i]["answer"].split()) in page.rows[i][4]
        assert "the answer" in page.rows[i][4]
    assert sum("the answer" in row[4] for row in page.rows) == len(drifted)
    # Codes: every catalogue code once, marked seen or never seen as the report says.
    assert set(page.chips) == {str(c) for c in [SUCCESS_CODE, *ERROR_CODES]}
    for code in report["codes"]["seen"]:
        assert page.chips[str(code)] == "seen"
    for code in report["codes"]["never"]:
        assert page.chips[str(code)] == "never"
    assert "seen: 0, 234802, 10001" in page.sections["codes-seen"]
    assert page.sections["codes-never"].startswith("never seen: 234801, 234803")
    assert page.sections["tenures-seen"] == "tenure codes seen: 3: more than 6, up to 12 months"
    # Spend: the budget and the ledger.
    spend = page.sections["spend"]
    assert "billed calls spent 3 of budget 3" in spend
    assert "refused by the budget 4" in spend
    assert "ledger, today (Beijing) 3 spent of cap 9" in spend
    assert str(ledger) in spend
    assert page.sections["verdict"] == "verdict: DRIFT (13 probes sent, 1 drifted)"
    about = page.sections["about"]
    assert f"seed: {report['seed']}" in about and f"juhe-contract: {version()}" in about
    assert f"started (UTC): {report['timestamp']}" in about
    # Hashes by their first 8 hex digits only; no number at all.
    assert not re.search("[0-9a-f]{64}", text)
    assert not any(phone in text for phone in MAGIC_NUMBERS)


def test_an_echoed_key_is_not_in_the_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with StandIn(key=ODD_KEY) as stand_in:
        stand_in.refuse_key = True  # echoes the key in result and reason
        status, text, page, _ = run_check(capsys, tmp_path, "--base-url", stand_in.url,
                                          "--budget", "3", "--key", ODD_KEY)  # fmt: skip
        assert sum(1 for c in stand_in.calls if c.key == ODD_KEY) >= 6
    assert status == 1
    for spelling in {*spellings(ODD_KEY), *spellings(ODD_KEY.replace("&", "&amp;"))}:
        assert spelling not in text, spelling
    assert "<key>" in " ".join(page.sections.values())  # the echo shown, the key replaced
    assert "[key-echo]" in page.sections["probes"]


def test_markup_in_an_answer_is_shown_as_text(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = '<script>alert(1)</script><img src="http://203.0.113.9/x.png">"\'&'
    stand_in.body = {"reason": hostile, "result": None, "error_code": 234802}
    status, text, page, _ = run_check(capsys, tmp_path, "--base-url", stand_in.url,
                                      "--budget", "1", "--key", stand_in.key)  # fmt: skip
    assert status == 1  # the keyless probes answer 234802 instead of 10001
    assert_fetches_nothing(text, page)
    shown = '<script>alert(1)</script><img src="http://203.0.113.9/x.png">'
    assert shown in page.sections["probes"]  # as the text the server sent, escaped
    assert '"reason":"<script>alert(1)</script>' in page.sections["probes"]  # the answer
    assert "&lt;script&gt;" in text


def test_the_page_without_a_key_or_a_ledger(
    stand_in: StandIn, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("JUHE_KEY", raising=False)
    status, text, page, report = run_check(capsys, tmp_path, "--base-url", stand_in.url,
                                           "--budget", "0")  # fmt: skip
    assert status == 0
    assert_fetches_nothing(text, page)
    assert sum(1 for row in page.rows if row[4] == "not sent (no key given)") == 7
    assert "ledger" not in page.sections["spend"]
    assert "billed calls spent 0 of budget 0" in page.sections["spend"]
    assert page.sections["verdict"].startswith("verdict: CONFORM")
    assert len(page.rows) == len(report["probes"])
