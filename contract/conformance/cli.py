"""``juhe-contract check``: the nightly conformance probe of a server claiming to be the API.

::

    juhe-contract check --base-url https://apis.juhe.cn --budget 3 \\
        [--key KEY | JUHE_KEY=...] [--canaries FILE | JUHE_CANARIES=...] \\
        [--ledger FILE [--day-cap N] [--month-cap N]] [--seed N] [--plan] \\
        [--report report.json] [--junit junit.xml] [--html report.html] [--record FILE]
        [--strict]
    juhe-contract learn RECORDING [-o OUT]

Sends the probes without the key first (no key, an empty key, a wrong key: never billed
to you), then those with it. Every probe that carries the key reserves one unit of
``--budget`` (and of the ledger's caps) before it is sent and gets it back when the
answer is free: so ``--budget 0`` sends nothing with your key, and ``--budget 1`` also
sends the keyed probes that should be free (malformed ``mobile`` values) one after
another. ``--record FILE`` appends every answer to a recording (docs/recording.md);
``learn`` summarises one (:mod:`.learn`). A target is live until its
``/__admin/health`` says it is juhe-mock; against a juhe-mock that accepts every key,
the wrong-key probe is not applicable. ``--plan`` sends nothing and lists what a run
would send. Prints a table of probes, the codes seen and never seen, and the billed calls
spent.

While it runs, each probe's row goes to stderr as soon as it is judged, and on a terminal
a one-line indicator says what is under way (:mod:`~contract.conformance.progress`). Every
file it is to write (``--report``, ``--junit``, ``--html``, ``--ledger``) is checked before
the first request: one that cannot be written is a usage error, with nothing sent.

Exit status: 0 every answer keeps the contract (``--plan``: it fits the budget); 1 drift
(a contract violation, an HTTP status other than 200, a content type that is not JSON, a
code the catalogue does not know, an unexpected code, or no answer at all; ``--plan``: it
needs more than the budget); 2 a usage problem (bad arguments, an unreadable or invalid
canaries or ledger file, an output file that cannot be written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ..errors import DocumentError
from ..keys import scrub_key
from ..transport import cleartext_warning
from ..version import VersionAction
from .budget import Budget, Usage
from .canaries import Canary, canaries_from_env, load_canaries
from .html_report import html_report
from .identify import Identity, identify
from .ledger import Ledger
from .outputs import outputs_problem
from .plan import Plan, PlannedRequest, plan_report
from .probe import Answer, Probe, Run, judge, new_seed, run_probes, send, standard_probes
from .progress import Progress
from .recorder import Recorder, record_answer
from .report import json_report, junit_xml, text_report

__all__ = ["main"]

EXIT_CONFORM, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a budget cannot be negative")
    return value


_budget = _count

_BUDGET_HELP = (
    "the most billable calls this run may make. Every probe that carries your key reserves "
    "a unit before it is sent and gets it back when the answer is free: --budget 0 sends "
    "only the probes without your key (no key, an empty key, a wrong key); --budget 1 also "
    "sends the keyed probes that should be free (a malformed mobile), one after another"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juhe-contract", description="Check that a server keeps the API's contract."
    )
    parser.add_argument("--version", action=VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="probe a server and judge every answer",
        description="Probe a server that claims to be the API and judge every answer "
        "against the contract, within a budget of billable calls.",
        epilog="While it runs, each probe's row goes to stderr as soon as it is judged (and "
        "on a terminal a one-line progress indicator); the table, the codes seen and never "
        "seen and the spend follow on stdout. Every file to write (--report, --junit, "
        "--html, --ledger) is checked before the first request: one that cannot be written "
        "exits 2 with nothing sent. Exit status: 0 conform, 1 drift, 2 a usage problem.",
    )  # fmt: skip
    check.add_argument(
        "--base-url", required=True, help="scheme and host, e.g. https://apis.juhe.cn"
    )
    check.add_argument("--key", help="the API key (better: the JUHE_KEY environment variable)")
    check.add_argument("--budget", required=True, type=_count, help=_BUDGET_HELP)
    check.add_argument("--canaries", help="a JSON file of known answers (or JUHE_CANARIES)")
    check.add_argument(
        "--ledger", metavar="FILE",
        help="a spend ledger kept across runs (JSON; docs/live.md): caps per Beijing day "
        "and month, shared safely with other runs and the pytest plugin",
    )  # fmt: skip
    check.add_argument("--day-cap", type=_count, metavar="N", help="the ledger's daily cap")
    check.add_argument("--month-cap", type=_count, metavar="N", help="the ledger's monthly cap")
    check.add_argument(
        "--seed", type=_count, metavar="N",
        help="the seed of the random hashes sent (default: a new one, printed)",
    )  # fmt: skip
    check.add_argument(
        "--plan", action="store_true",
        help="send nothing: list every request a run would make and what it can cost; "
        "exit 1 when that needs more than the budget (or the ledger's caps leave)",
    )  # fmt: skip
    check.add_argument(
        "--report", metavar="FILE",
        help="write a JSON report here (with the tool's version and a UTC timestamp)",
    )  # fmt: skip
    check.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here (with times)")
    check.add_argument(
        "--html", metavar="FILE",
        help="write one self-contained HTML page here: the probes, the codes seen and "
        "never seen, the spend (no script, nothing fetched)",
    )  # fmt: skip
    check.add_argument(
        "--record", metavar="FILE",
        help="append every answer received to a recording (JSON Lines; docs/recording.md): "
        "key fingerprints and hashes only, the key scrubbed from every body",
    )  # fmt: skip
    check.add_argument(
        "--strict", action="store_true",
        help="judge as strictly as for our own mock (exact keys and wording)",
    )  # fmt: skip
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    from .learn import add_parser

    add_parser(commands)
    return parser


def _canaries(path: str | None) -> list[Canary]:
    if path:
        return load_canaries(path)
    env = os.environ.get("JUHE_CANARIES", "").strip()
    return canaries_from_env(env) if env else []


def _usage_error(message: str) -> int:
    print(f"juhe-contract: {message}", file=sys.stderr)
    return EXIT_USAGE


def _plan(
    args: argparse.Namespace, probes: list[Probe], key: str | None, ledger: Ledger | None
) -> int:
    planned = Plan(
        tuple(
            PlannedRequest(p.name, p.key_kind, p.method, p.billing(key or "<key>"))
            for p in probes
            if key or p.key_kind != "given"
        )
    )
    status = ledger.status(day_cap=args.day_cap, month_cap=args.month_cap) if ledger else None
    note = "planned as live: a plan does not ask the target who it is"
    print(plan_report(planned, target=args.base_url, limit=args.budget, ledger=status, note=note),
          end="")  # fmt: skip
    return EXIT_CONFORM if planned.fits(args.budget, status) else EXIT_DRIFT


def _outputs(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    return [("--report", args.report), ("--junit", args.junit), ("--html", args.html),
            ("--ledger", args.ledger), ("--record", args.record)]  # fmt: skip


def _write_reports(
    args: argparse.Namespace,
    run: Run,
    usage: Usage,
    about: dict[str, object],
    identity: Identity,
    ledger: Ledger | None,
    scrub: Callable[[str], str],
) -> None:
    """Write the files asked for (checked before the run; a disk can still fill up)."""
    if args.report:
        report = json_report(run, base_url=args.base_url, usage=usage, scrub=scrub,
                             about={**about, "identity": identity.as_dict()})  # fmt: skip
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        Path(args.report).write_text(text, encoding="utf-8")
    if args.junit:
        Path(args.junit).write_bytes(junit_xml(run, base_url=args.base_url, scrub=scrub))
    if args.html:
        status = ledger.status() if ledger is not None else None
        page = html_report(run, base_url=args.base_url, usage=usage, scrub=scrub, about=about,
                           ledger=status, ledger_path=args.ledger)  # fmt: skip
        Path(args.html).write_text(page, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "learn":
        from .learn import main as learn

        return learn(args)
    key = args.key or os.environ.get("JUHE_KEY") or None

    def scrub(text: str) -> str:
        return scrub_key(text, key or "")

    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _usage_error(f"--base-url: {scrub(args.base_url)!r} is not an http(s) URL")
    if args.timeout <= 0:
        return _usage_error("--timeout: must be above 0")
    # Before anything is sent: a report that cannot be written must not cost a request.
    problem = outputs_problem(_outputs(args))
    if problem is not None:
        return _usage_error(scrub(problem))
    try:
        canaries = _canaries(args.canaries)
        ledger = None
        if args.ledger:
            caps = {} if args.plan else {"day_cap": args.day_cap, "month_cap": args.month_cap}
            ledger = Ledger(args.ledger, **caps)
        recorder = None
        if args.record and not args.plan:
            recorder = Recorder(args.record, source="juhe-contract", key=key)
    except DocumentError as exc:
        return _usage_error(scrub(str(exc)))
    seed = new_seed() if args.seed is None else args.seed
    probes = standard_probes(canaries, seed)
    warning = cleartext_warning(args.base_url) if key else None
    if warning:
        print(f"juhe-contract: warning: {warning}", file=sys.stderr)
    if args.plan:
        return _plan(args, probes, key, ledger)
    budget = Budget(args.budget, key=key, ledger=ledger)
    with requests.Session() as session, Progress(sys.stderr, len(probes), scrub=scrub) as shown:
        shown.status(f"asking {parts.hostname} who answers there ...")
        identity = identify(session, args.base_url, timeout=min(args.timeout, 5.0))

        def send_one(probe: Probe) -> Answer:
            answer = send(
                session, args.base_url, key=probe.key_for(key), mobile=probe.mobile,
                budget=budget, method=probe.method, timeout=args.timeout,
            )  # fmt: skip
            if recorder is not None:
                verdict = judge(answer, codes=probe.codes, tenures=probe.tenures,
                                strict=args.strict, key=key)  # fmt: skip
                record_answer(recorder, answer, method=probe.method, key=probe.key_for(key),
                              mobile=probe.mobile, verdict=verdict)  # fmt: skip
            return answer

        run = run_probes(
            probes, send_one, key=key, strict=args.strict,
            accepts_any_key=identity.mock and identity.accepts_any_key,
            before=shown.before, after=shown.after,
        )  # fmt: skip
    if recorder is not None:
        recorder.close()
    usage = budget.usage()
    about: dict[str, object] = {"target": identity.why, "seed": seed}
    print(text_report(run, base_url=args.base_url, usage=usage, scrub=scrub, about=about), end="")
    try:
        _write_reports(args, run, usage, about, identity, ledger, scrub)
    except (OSError, DocumentError) as exc:
        name = getattr(exc, "filename", None) or type(exc).__name__
        return _usage_error(scrub(f"cannot write the report ({type(exc).__name__}: {name})"))
    return EXIT_CONFORM if run.conform else EXIT_DRIFT


if __name__ == "__main__":
    raise SystemExit(main())
