"""``juhe-tenure``: ask the API (or a mock) about one number from the shell.

    juhe-tenure query 13000000003
    juhe-tenure query --hash 5e8f...c1 --base-url http://127.0.0.1:8080 --json

The key comes from ``JUHE_KEY``, never from the command line (where ``ps`` and the shell
history would see it). Exit status: 0 a result, 1 an error answer from the API, 2 a usage
problem or no usable answer (connection, timeout, a body that breaks the contract).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from contract import BASE_URL
from contract.version import VersionAction

from .client import TenureClient
from .errors import JuheError, TransportError
from .models import TenureResult

__all__ = ["main"]

PROG = "juhe-tenure"
KEY_VARIABLE = "JUHE_KEY"
EXIT_OK, EXIT_API_ERROR, EXIT_USAGE = 0, 1, 2


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Query Juhe's 在网时长 sha256 (China Unicom) API. The key is read "
        f"from ${KEY_VARIABLE}; only the number's sha256 is sent.",
    )
    parser.add_argument("--version", action=VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)
    query = commands.add_parser("query", help="how long a number has been on the network")
    target = query.add_mutually_exclusive_group(required=True)
    target.add_argument("phone", nargs="?", help="a mainland mobile number, any spelling")
    target.add_argument("--hash", dest="mobile_sha256", metavar="HEX", help="its sha256")
    query.add_argument("--base-url", default=BASE_URL, help=f"default {BASE_URL}")
    query.add_argument("--json", action="store_true", help="print one JSON object")
    query.add_argument("--timeout", type=_positive_float, default=10.0, help="seconds per request")
    query.add_argument(
        "--retries", type=_non_negative_int, default=2, help="retries for 234801 and faults"
    )
    return parser


def result_dict(result: TenureResult) -> dict[str, Any]:
    """A result as the JSON the ``--json`` flag prints."""
    return {
        "error_code": 0,
        "code": result.code.value,
        "months_above": result.months_above,
        "months_up_to": result.months_up_to,
        "words": result.code.words,
        "english": result.code.english,
        "orderid": result.orderid,
        "mobile_sha256": result.mobile_sha256,
    }


def error_dict(error: JuheError) -> dict[str, Any]:
    """An error as the JSON the ``--json`` flag prints."""
    return {
        "error_code": error.error_code,
        "error": type(error).__name__,
        "family": error.family.value if error.family is not None else None,
        "reason": error.reason,
    }


def _describe(result: TenureResult) -> str:
    code = result.code
    return f"tenure code {code.value}: {code.english} ({code.words}); orderid {result.orderid}"


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    stdout = out if out is not None else sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 for --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    key = os.environ.get(KEY_VARIABLE, "")
    if not key:
        print(f"{PROG}: set {KEY_VARIABLE} to your Juhe key", file=sys.stderr)
        return EXIT_USAGE
    try:
        api = TenureClient(
            key, base_url=args.base_url, timeout=args.timeout, max_retries=args.retries
        )
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with api:
            if args.mobile_sha256 is not None:
                result = api.query_hash(args.mobile_sha256)
            else:
                result = api.query(args.phone)
    except ValueError as exc:
        what = "--hash" if args.mobile_sha256 is not None else "PHONE"
        print(f"{PROG}: {what}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except JuheError as exc:
        status = EXIT_USAGE if isinstance(exc, TransportError) else EXIT_API_ERROR
        if args.json:
            print(json.dumps(error_dict(exc), ensure_ascii=False), file=stdout)
        else:
            print(f"{PROG}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return status
    if args.json:
        print(json.dumps(result_dict(result), ensure_ascii=False), file=stdout)
    else:
        print(_describe(result), file=stdout)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
