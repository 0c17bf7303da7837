"""``juhe-contract check``: the nightly conformance probe of a server claiming to be the API.

::

    juhe-contract check --base-url https://apis.juhe.cn --budget 3 \\
        [--key KEY | JUHE_KEY=...] [--canaries FILE | JUHE_CANARIES=...] \\
        [--report report.json] [--junit junit.xml] [--strict]

Sends the free probes (no key, a wrong key, malformed ``mobile`` values: never billed),
then, budget permitting, the ones that might be billed (a random well-formed hash, each
canary), each reserving one unit of ``--budget`` before it is sent. Prints a table of
probes, the codes seen and never seen, and the billed calls spent.

Exit status: 0 every answer keeps the contract; 1 drift (a contract violation, an HTTP
status other than 200, a code the catalogue does not know, an unexpected code, or no
answer at all); 2 a usage problem (bad arguments, an unreadable or invalid canaries file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ..keys import scrub_key
from ..version import version_line
from .budget import Budget
from .canaries import Canary, CanaryError, canaries_from_env, load_canaries
from .probe import Answer, Probe, run_probes, send, standard_probes
from .report import json_report, junit_xml, text_report

__all__ = ["main"]

EXIT_CONFORM, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2


def _budget(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a budget cannot be negative")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juhe-contract", description="Check that a server keeps the API's contract."
    )
    parser.add_argument("--version", action="version", version=version_line("juhe-contract"))
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="probe a server and judge every answer")
    check.add_argument(
        "--base-url", required=True, help="scheme and host, e.g. https://apis.juhe.cn"
    )
    check.add_argument("--key", help="the API key (better: the JUHE_KEY environment variable)")
    check.add_argument(
        "--budget", required=True, type=_budget,
        help="the most billable calls this run may make (0: only probes never billed)",
    )  # fmt: skip
    check.add_argument("--canaries", help="a JSON file of known answers (or JUHE_CANARIES)")
    check.add_argument("--report", help="write a JSON report here")
    check.add_argument("--junit", help="write a JUnit XML report here")
    check.add_argument(
        "--strict", action="store_true",
        help="judge as strictly as for our own mock (exact keys and wording)",
    )  # fmt: skip
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    return parser


def _canaries(path: str | None) -> list[Canary]:
    if path:
        return load_canaries(path)
    env = os.environ.get("JUHE_CANARIES", "").strip()
    return canaries_from_env(env) if env else []


def _usage_error(message: str) -> int:
    print(f"juhe-contract: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    key = args.key or os.environ.get("JUHE_KEY") or None

    def scrub(text: str) -> str:
        return scrub_key(text, key or "")

    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _usage_error(f"--base-url: {scrub(args.base_url)!r} is not an http(s) URL")
    if args.timeout <= 0:
        return _usage_error("--timeout: must be above 0")
    try:
        canaries = _canaries(args.canaries)
    except CanaryError as exc:
        return _usage_error(str(exc))
    budget = Budget(args.budget)
    probes = standard_probes(canaries)
    with requests.Session() as session:

        def send_one(probe: Probe) -> Answer:
            return send(
                session, args.base_url, key=probe.key_for(key), mobile=probe.mobile,
                budget=budget, method=probe.method, timeout=args.timeout,
            )  # fmt: skip

        run = run_probes(probes, send_one, key=key, strict=args.strict)
    usage = budget.usage()
    print(text_report(run, base_url=args.base_url, usage=usage, scrub=scrub), end="")
    try:
        if args.report:
            report = json_report(run, base_url=args.base_url, usage=usage, scrub=scrub)
            text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
            Path(args.report).write_text(text, encoding="utf-8")
        if args.junit:
            Path(args.junit).write_bytes(junit_xml(run, base_url=args.base_url, scrub=scrub))
    except OSError as exc:
        return _usage_error(f"cannot write the report ({type(exc).__name__}: {exc.filename})")
    return EXIT_CONFORM if run.conform else EXIT_DRIFT


if __name__ == "__main__":
    raise SystemExit(main())
