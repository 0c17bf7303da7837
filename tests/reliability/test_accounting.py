"""Exact accounting under load: 8 threads with keep-alive connections, three keys (a quota,
a trial quota, no quota), billable and free answers, GET, POST and JSONP mixed.

What the clients saw must match the server's books to the unit: per key exactly ``quota``
successes and the rest 10012 (10013 for the trial key); free answers never consume quota;
the ledger bills exactly the successes the clients saw, per key and per code; every
orderid is unique; every body is contract-valid (strict)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests

from contract import PATH, TENURE_CODES, key_fingerprint, magic_number, mobile_sha256
from mock_server.testing import JuheMock

from ..helpers.answers import check_answer
from ..helpers.threads import flat, on_threads

THREADS = 8
PER_THREAD = 60
QUOTAS = {"acct-alpha-key": 50, "acct-trial-key": 20}
TRIAL = "acct-trial-key"
UNLIMITED = "acct-open-key"
KEYS = [*QUOTAS, UNLIMITED]
BILLABLE = [magic_number(code) for code in TENURE_CODES]
FREE = [magic_number("234801"), magic_number("234803"), magic_number("10014")]
PHONES = BILLABLE + FREE  # 6 billable, 3 free


def _plan(thread: int) -> list[tuple[str, str, str, str | None]]:
    """(key, phone, method, callback) for each request of one thread; deterministic."""
    out = []
    for i in range(PER_THREAD):
        n = thread * PER_THREAD + i
        callback = "cb" if n % 7 == 0 else None
        out.append((KEYS[n % 3], PHONES[n % len(PHONES)], "POST" if n % 2 else "GET", callback))
    return out


def _call(session: requests.Session, url: str, step: tuple[str, str, str, str | None]) -> Any:
    key, phone, method, callback = step
    params = {"key": key, "mobile": mobile_sha256(phone)}
    if callback:
        params["callback"] = callback
    if method == "GET":
        response = session.get(url, params=params, timeout=10)
    else:
        response = session.post(url, data=params, timeout=10)
    body = check_answer(
        response.status_code, response.headers.get("Content-Type"), response.content, params
    )
    return key, phone, body


def test_accounting_is_exact_under_8_threads(juhe_mock: JuheMock) -> None:
    per_key = {key: {"quota": quota} for key, quota in QUOTAS.items()}
    per_key[TRIAL]["trial"] = True
    juhe_mock.scenario({"keys": {"per_key": per_key}})
    url = juhe_mock.url + PATH

    def worker(thread: int) -> list[tuple[str, str, dict[str, Any]]]:
        with requests.Session() as session:
            return [_call(session, url, step) for step in _plan(thread)]

    results = flat(on_threads(THREADS, worker))
    assert len(results) == THREADS * PER_THREAD

    # What the clients saw, per key.
    codes = {key: Counter(body["error_code"] for k, _, body in results if k == key) for key in KEYS}
    attempts = Counter((k, phone in BILLABLE) for k, phone, _ in results)
    for key, quota in QUOTAS.items():
        refused = 10013 if key == TRIAL else 10012
        assert attempts[(key, True)] > quota  # the plan does exhaust every quota
        assert codes[key][0] == quota
        assert codes[key][refused] == attempts[(key, True)] - quota
    assert codes[UNLIMITED][0] == attempts[(UNLIMITED, True)]
    for key in KEYS:  # free answers are never refused for quota
        free = sum(n for code, n in codes[key].items() if code in (234801, 234803, 10014))
        assert free == attempts[(key, False)]

    # The server's books.
    successes = [(k, body) for k, _, body in results if body["error_code"] == 0]
    usage = juhe_mock.usage
    assert usage["billable"] == len(successes)
    assert usage["by_key"] == {key_fingerprint(k): codes[k][0] for k in KEYS}
    assert usage["by_code"] == dict(Counter(body["result"]["code"] for _, body in successes))
    journal = juhe_mock.requests
    assert len(journal) == THREADS * PER_THREAD  # within the ring buffer: every request
    assert sum(entry["billable"] for entry in journal) == len(successes)

    # Every orderid, JSONP answers included, is unique.
    orderids = [body["result"]["orderid"] for _, body in successes]
    assert len(set(orderids)) == len(orderids)
