"""The guard proxy in front of a stand-in that plays live: never pays twice, keeps its
budget, judges every answer, answers faults as a gateway, and never lets the key out."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from client import TenureClient
from client.errors import HTTPStatusError, QuotaError
from contract import PATH, validate
from contract.conformance.identify import identify
from contract.conformance.recording import read_recording
from mock_server import MockServer

from ...helpers.standin import STAND_IN_KEY, StandIn
from .conftest import APP_KEY, ProxyFactory, ask


def digests(n: int, salt: str = "") -> list[str]:
    return [hashlib.sha256(f"{salt}{i}".encode()).hexdigest() for i in range(n)]


def test_100_lookups_of_10_hashes_make_10_upstream_calls(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    hashes = digests(10)
    with make_proxy() as proxy:
        answers = [ask(proxy, hashes[i % 10]) for i in range(100)]
        usage = proxy.usage
    assert len(stand_in.calls) == 10 and stand_in.billed == 10
    assert sorted(stand_in.mobiles()) == sorted(hashes)
    assert {c.key for c in stand_in.calls} == {STAND_IN_KEY}  # the proxy's key, not the app's
    ways = [a.headers["X-Juhe-Proxy"] for a in answers]
    assert ways[:10] == ["paid"] * 10 and ways[10:] == ["cached"] * 90
    # a cached answer is the upstream's bytes, the same each time
    assert answers[10].content == answers[0].content and answers[20].content == answers[0].content
    assert usage["upstream"] == {"paid": 10, "cached": 90, "refused": 0, "local": 0,
                                 "failed": 0, "violations": 0}  # fmt: skip
    assert usage["billable"] == 10  # the ledger: calls actually paid


def test_concurrent_lookups_of_one_hash_pay_once(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    stand_in.delay = 0.3  # all ten arrive while the first is in flight
    (digest,) = digests(1, "same")
    ways: list[str] = []
    with make_proxy() as proxy:
        threads = [threading.Thread(target=lambda: ways.append(
            ask(proxy, digest).headers["X-Juhe-Proxy"])) for _ in range(10)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(stand_in.calls) == 1
    assert sorted(ways) == ["cached"] * 9 + ["paid"]


def test_a_day_budget_of_3_bills_at_most_3(make_proxy: ProxyFactory, stand_in: StandIn) -> None:
    hashes = digests(10, "budget")
    with make_proxy(budget_per_day=3) as proxy:
        answers = [ask(proxy, h) for h in hashes]
        usage, journal = proxy.usage, proxy.requests
        with TenureClient("any-app-key", base_url=proxy.url) as client, \
                pytest.raises(QuotaError) as refused:  # fmt: skip
            client.query_hash(hashes[-1])
    assert stand_in.billed == 3 == len(stand_in.calls)
    assert [a.headers["X-Juhe-Proxy"] for a in answers] == ["paid"] * 3 + ["refused"] * 7
    for answer in answers[3:]:  # the documented shape
        body = answer.json()
        assert answer.status_code == 200 and body["error_code"] == 10012
        assert body["result"] is None and "代理" in body["reason"]
        assert answer.headers["X-Juhe-Mock-Error"].startswith(
            "proxy budget: the proxy's budget per day is 3 billable lookup(s)"
        )
        assert validate(body, strict=False) == []  # live's shape: a client takes it as one
    assert refused.value.error_code == 10012
    assert usage["upstream"]["refused"] == 7 and usage["upstream"]["paid"] == 3
    assert usage["budget"]["day"] == {"date": usage["budget"]["day"]["date"], "cap": 3,
                                      "spent": 3}  # fmt: skip
    assert [e["upstream"] for e in journal] == ["paid"] * 3 + ["refused"] * 7
    assert all(e["step"] == "budget" and not e["billable"] for e in journal[3:])


def test_a_free_answer_gives_its_unit_back_and_is_not_cached(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    stand_in.refuse_key = True  # 10001 for the proxy's key: free, a system error
    (digest,) = digests(1, "free")
    with make_proxy(budget_per_day=1) as proxy:
        answers = [ask(proxy, digest) for _ in range(4)]
        usage = proxy.usage
    assert [a.json()["error_code"] for a in answers] == [10001] * 4
    assert len(stand_in.calls) == 4  # never cached, and each unit came back
    assert usage["budget"]["day"]["spent"] == 0 and usage["upstream"]["refused"] == 0


def test_successes_and_no_record_are_cached_but_not_system_errors(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    found, none, busy = digests(3, "kinds")
    stand_in.answers = {
        none: {"reason": "查询无此记录", "result": None, "error_code": 234803},
        busy: {"resultcode": "114", "reason": "系统内部异常", "result": None, "error_code": 10014},
    }
    with make_proxy() as proxy:
        ways = {h: [ask(proxy, h).headers["X-Juhe-Proxy"] for _ in range(2)]
                for h in (found, none, busy)}  # fmt: skip
    assert ways == {found: ["paid", "cached"], none: ["paid", "cached"], busy: ["paid", "paid"]}
    assert stand_in.mobiles().count(busy) == 2


def test_a_cache_ttl_of_0_caches_nothing(make_proxy: ProxyFactory, stand_in: StandIn) -> None:
    (digest,) = digests(1, "ttl")
    with make_proxy(cache_ttl=0) as proxy:
        assert [ask(proxy, digest).headers["X-Juhe-Proxy"] for _ in range(3)] == ["paid"] * 3
    assert len(stand_in.calls) == 3


def test_a_violation_is_passed_on_unchanged_and_named(
    make_proxy: ProxyFactory, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    odd = {"reason": "成功", "result": {"code": "7", "orderid": "J201901141703399055"},
           "error_code": 0}  # fmt: skip
    (digest,) = digests(1, "odd")
    stand_in.answers = {digest: odd}
    with caplog.at_level(logging.WARNING, "mock_server.serve.proxy"), make_proxy() as proxy:
        answer = ask(proxy, digest)
        usage, (entry,) = proxy.usage, proxy.requests
    expected = json.dumps(odd, ensure_ascii=False, separators=(",", ":")).encode()
    assert answer.content == expected  # byte for byte
    assert answer.headers["X-Juhe-Proxy-Violations"] == "result.code [enum]"
    assert validate(answer.json(), strict=False) != []
    assert usage["upstream"]["violations"] == 1
    assert entry["violations"] and "[enum]" in entry["violations"][0]
    assert any("breaks the contract: result.code [enum]" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fault", ["502 page", "timeout", "connection refused"])
def test_upstream_faults_are_answered_as_a_gateway(
    make_proxy: ProxyFactory, stand_in: StandIn, fault: str
) -> None:
    (digest,) = digests(1, fault)
    upstream = None
    if fault == "502 page":
        stand_in.status, stand_in.content_type, stand_in.body = 502, "text/html", "<html>x</html>"
    elif fault == "timeout":
        stand_in.delay = 1.5
    else:
        with socket.socket() as spare:  # a port nobody listens on
            spare.bind(("127.0.0.1", 0))
            upstream = f"http://127.0.0.1:{spare.getsockname()[1]}"
    with make_proxy(upstream=upstream, upstream_timeout=0.5, budget_per_day=5) as proxy:
        answer = ask(proxy, digest)
        usage = proxy.usage
    status = {"502 page": 502, "timeout": 504, "connection refused": 502}[fault]
    assert answer.status_code == status and answer.json()["error_code"] == 10014
    assert answer.headers["X-Juhe-Proxy"] == "failed"
    assert answer.headers["X-Juhe-Mock-Error"].startswith("upstream: ")
    sent = fault != "connection refused"
    assert len(stand_in.calls) == (1 if sent else 0)  # never retried once it may be billed
    assert usage["budget"]["day"]["spent"] == (1 if sent else 0)  # may be billed: kept
    assert usage["upstream"]["failed"] == 1


def test_a_gateway_answer_is_not_retried_by_the_reference_client(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    stand_in.status, stand_in.content_type, stand_in.body = 503, "text/html", "<html>x</html>"
    with make_proxy() as proxy, TenureClient("app", base_url=proxy.url) as client, \
            pytest.raises(HTTPStatusError):  # fmt: skip
        client.query_hash(digests(1, "gw")[0])
    assert len(stand_in.calls) == 1


def test_what_needs_no_upstream_is_answered_by_the_proxy(
    make_proxy: ProxyFactory, stand_in: StandIn
) -> None:
    (digest,) = digests(1, "local")
    with make_proxy(budget_per_day=0) as proxy:
        cases = [ask(proxy, digest, key=None), ask(proxy, digest, key=" "),
                 ask(proxy, "13000000000"), ask(proxy, digest[:63]),
                 ask(proxy, None, method="GET")]  # fmt: skip
        journal = proxy.requests
    assert [c.json()["error_code"] for c in cases] == [10001, 10001, 234802, 234802, 234802]
    assert {c.headers["X-Juhe-Proxy"] for c in cases} == {"local"}
    assert stand_in.calls == []
    assert {e["upstream"] for e in journal} == {"local"}
    assert all(e["mobile"] in (None, digest) for e in journal)  # never the number sent


def test_get_and_jsonp_are_served(make_proxy: ProxyFactory, stand_in: StandIn) -> None:
    (digest,) = digests(1, "jsonp")
    with make_proxy() as proxy:
        plain = ask(proxy, digest, method="GET")
        wrapped = ask(proxy, digest, method="GET", callback="cb")
    assert wrapped.content == b"cb(" + plain.content + b")"
    assert wrapped.headers["Content-Type"].startswith("text/javascript")
    assert len(stand_in.calls) == 1


def test_a_head_is_never_forwarded(make_proxy: ProxyFactory, stand_in: StandIn) -> None:
    with make_proxy() as proxy:
        answer = requests.head(proxy.url + PATH, params={"key": "k", "mobile": digests(1)[0]},
                               timeout=10)  # fmt: skip
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
    assert stand_in.calls == []


def test_a_proxy_is_live_to_every_tool(make_proxy: ProxyFactory) -> None:
    with make_proxy() as proxy, requests.Session() as session:
        health = session.get(proxy.url + "/__admin/health", timeout=10).json()
        identity = identify(session, proxy.url)
    assert health["server"] == "juhe-mock" and health["upstream"].startswith("http://127.0.0.1:")
    assert identity.mock is False and "guard proxy" in identity.why


def test_a_reset_keeps_the_spend_and_the_cache(make_proxy: ProxyFactory, stand_in: StandIn) -> None:
    (digest,) = digests(1, "reset")
    with make_proxy(budget_per_day=1) as proxy:
        ask(proxy, digest)
        requests.post(proxy.url + "/__admin/reset", timeout=10).raise_for_status()
        usage = proxy.usage
        again = ask(proxy, digest)
        other = ask(proxy, digests(1, "other")[0])
    assert usage["upstream"]["paid"] == 0 and usage["budget"]["day"]["spent"] == 1
    assert again.headers["X-Juhe-Proxy"] == "cached"
    assert other.headers["X-Juhe-Proxy"] == "refused"  # money spent stays spent
    assert len(stand_in.calls) == 1


def test_two_proxies_on_one_ledger_file_share_its_budget(stand_in: StandIn, tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.json")
    settings: dict[str, Any] = {"budget_per_day": 3, "ledger": ledger, "cache_ttl": 0}
    options: dict[str, Any] = {"upstream": stand_in.url, "upstream_key": STAND_IN_KEY,
                               "proxy": settings}  # fmt: skip
    with MockServer(**options) as one, MockServer(**options) as two:
        ways = [ask((one, two)[i % 2], h).headers["X-Juhe-Proxy"]
                for i, h in enumerate(digests(8, "ledger"))]  # fmt: skip
        usage = one.usage
    assert stand_in.billed == 3 and ways.count("refused") == 5
    assert usage["budget"]["where"] == f"ledger {ledger}"
    data = json.loads(Path(ledger).read_text("utf-8"))
    (day,) = data["days"].values()
    assert data["caps"]["day"] == 3 and day["billed"] == 3 and day["refused"] == 5


def test_the_key_never_leaves_the_proxy(
    make_proxy: ProxyFactory, stand_in: StandIn, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    stand_in.refuse_key = True  # the upstream echoes the proxy's key in result and reason
    recording = tmp_path / "proxy.jsonl"
    hashes = digests(3, "leak")
    with caplog.at_level(logging.DEBUG), make_proxy(record=str(recording)) as proxy:
        answers = [ask(proxy, h) for h in hashes]
        journal = requests.get(proxy.url + "/__admin/requests", timeout=10).text
        usage = requests.get(proxy.url + "/__admin/usage", timeout=10).text
        health = requests.get(proxy.url + "/__admin/health", timeout=10).text
        shown = repr(proxy.runtime.proxy) + repr(proxy.config)
    assert all(c.key == STAND_IN_KEY for c in stand_in.calls)  # it did carry the key
    assert {a.json()["result"] for a in answers} == {"<key>"}  # and the echo was scrubbed
    texts = [a.text for a in answers] + [str(a.headers) for a in answers]
    texts += [journal, usage, health, shown, recording.read_text("utf-8"), caplog.text]
    texts += [repr(r.__dict__) for r in caplog.records]
    assert [t for t in texts if STAND_IN_KEY in t] == []
    assert APP_KEY not in journal  # nor the apps' keys: fingerprints only
    assert len(read_recording(recording, key=STAND_IN_KEY)) == 3


def test_the_wsgi_app_of_a_proxy_does_not_answer_as_the_mock(stand_in: StandIn) -> None:
    from mock_server.web.app import create_app
    from mock_server.web.setup import build_runtime

    runtime = build_runtime({"upstream": stand_in.url}, upstream_key=STAND_IN_KEY)
    client = create_app(runtime=runtime).test_client()
    answer = client.post(PATH, data={"key": "k", "mobile": digests(1)[0]})
    assert answer.status_code == 503 and answer.json["error_code"] == 10014
    assert "event loop" in answer.headers["X-Juhe-Mock-Error"]
    assert stand_in.calls == [] and runtime.requests() == []  # nothing forwarded, nothing made up
    runtime.proxy.close()  # type: ignore[union-attr]
