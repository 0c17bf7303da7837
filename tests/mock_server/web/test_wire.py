"""Wire bytes, orderids and the deterministic default, without HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract import ERROR_CODES, TENURE_CODES, error_body, success_body
from mock_server.engine import Call, Decision, Engine
from mock_server.scenario.compile import compile_scenario
from mock_server.scenario.document import default_document
from mock_server.state.orderids import OrderIds
from mock_server.state.store import InMemoryStore
from mock_server.web.wire import encode, jsonp, render

from ...helpers.answers import check_body
from ...helpers.paths import SCENARIOS
from ...helpers.threads import flat, on_threads

ORDERID = re.compile(r"J(\d{14})(\d{4})")
HASHES = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def _compact(body: dict[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("code", list(TENURE_CODES))
def test_success_bytes_equal_contract_body(code: str) -> None:
    orderid = "J202501011200000042"
    data = render(Decision(0, tenure=code), orderid)
    assert data == _compact(success_body(code, orderid))
    check_body(json.loads(data))


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_bytes_equal_contract_body_in_key_order(code: int) -> None:
    data = render(Decision(code), None)
    assert data == _compact(error_body(code))
    assert list(json.loads(data)) == list(error_body(code))
    assert "\\u" not in data.decode("utf-8")  # Chinese text is sent as UTF-8, not escaped


def test_custom_reason_and_detail_render() -> None:
    assert json.loads(render(Decision(10012, reason="当前可请求的次数不足"), None))["reason"] == (
        "当前可请求的次数不足"
    )
    assert json.loads(render(Decision(234802, detail="x"), None))["reason"] == "参数错误:x"


@pytest.mark.parametrize(
    ("callback", "wrapped"),
    [("cb", True), ("jQuery_1.cb$2", True), ("", False), ("a(b)", False), ("<script>", False)],
)
def test_jsonp_wraps_only_safe_names(callback: str, wrapped: bool) -> None:
    out = jsonp(b"{}", callback)
    assert (out == f"{callback}({{}})".encode()) is wrapped
    assert wrapped or out == b"{}"


def test_encode_keeps_insertion_order() -> None:
    assert encode({"b": 1, "a": "中"}) == '{"b":1,"a":"中"}'.encode()


def test_orderid_format_is_beijing_time() -> None:
    ids = OrderIds(InMemoryStore(), clock=lambda: 0.0)  # 1970-01-01 08:00:00 in Beijing
    assert ids.next() == "J197001010800000000"
    assert ids.next() == "J197001010800000001"


def test_orderid_runs_into_next_second_when_full() -> None:
    store = InMemoryStore()
    ids = OrderIds(store, clock=lambda: 0.0)
    made = [ids.next() for _ in range(10_002)]
    assert len(set(made)) == 10_002
    assert made[9_999] == "J197001010800009999"
    assert made[10_000] == "J197001010800010000"  # the logical clock moved on a second
    assert all(ORDERID.fullmatch(m) for m in made)


def test_orderids_unique_across_threads_sharing_a_store() -> None:
    store = InMemoryStore()
    makers = [OrderIds(store, clock=lambda: 100.0) for _ in range(4)]
    both = makers * 2

    def run(index: int) -> list[str]:
        return [both[index].next() for _ in range(3000)]

    out = flat(on_threads(len(both), run, together=False))
    assert len(out) == len(set(out)) == 24_000


def _engine(seed: int = 0, **doc: object) -> Engine:
    merged = {**default_document(), **doc}
    return Engine(compile_scenario(merged, seed=seed), InMemoryStore())


class _NoHeaders:
    def get(self, key: str) -> str | None:
        return None


@given(HASHES)
def test_default_tenure_is_a_pure_function_of_hash_and_seed(mobile_hash: str) -> None:
    first, second = _engine(7), _engine(7)
    call = Call("GET", "k", mobile_hash.upper(), "127.0.0.1", _NoHeaders())
    assert first.decide(call).tenure == second.decide(call).tenure
    assert first.default_tenure(mobile_hash) in TENURE_CODES


_ANSWERS_SCRIPT = """
import hashlib, json, sys
from mock_server.scenario.compile import compile_scenario
from mock_server.scenario.document import default_document, load_document, merge_documents
from mock_server.engine import Call, Engine
from mock_server.state.store import InMemoryStore

class NoHeaders:
    def get(self, key):
        return None

hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]
default = Engine(compile_scenario(default_document(), seed=11), InMemoryStore())
chaos = Engine(
    compile_scenario(merge_documents([default_document(), load_document(sys.argv[1])])),
    InMemoryStore(),
)
calls = [chaos.decide(Call("GET", "k", h, "127.0.0.1", NoHeaders())) for h in hashes[:100]]
print(json.dumps({
    "tenures": [default.default_tenure(h) for h in hashes],
    "chaos": [[d.error_code, d.tenure, d.fault and d.fault.kind.value, d.rule] for d in calls],
}))
"""


@pytest.mark.subprocess
def test_choices_are_the_same_in_every_process_whatever_its_hash_seed() -> None:
    # Same answers across restarts, processes and machines: nothing may depend on Python's
    # per-process str hash (PYTHONHASHSEED), on set order or on a process-wide random.
    chaos = SCENARIOS / "chaos.yaml"
    runs = []
    for hash_seed in ["0", "1", "4242"]:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _ANSWERS_SCRIPT, str(chaos)],
            capture_output=True, text=True, env=env, timeout=60, check=True,
        )  # fmt: skip
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1] == runs[2]
    assert len(set(runs[0]["tenures"])) == len(TENURE_CODES)
    assert len({tuple(c) for c in runs[0]["chaos"]}) >= 3  # the chaos mix is really mixed


@given(HASHES, st.integers(min_value=-(2**63), max_value=2**63))
def test_default_tenure_follows_the_documented_formula(mobile_hash: str, seed: int) -> None:
    # docs/scenarios.md: u = the first 8 bytes of blake2b("SEED:HASH") / 2**64, against the
    # cumulative weights in the order 1, 2, 3, 4, 5, 99. Any machine (or another language)
    # can reproduce it.
    digest = hashlib.blake2b(f"{seed}:{mobile_hash}".encode(), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    weights = default_document()["default"]["weights"]
    total, running, expected = sum(weights.values()), 0.0, "99"
    for code in TENURE_CODES:
        running += weights.get(code, 0) / total
        if u < running:
            expected = code
            break
    assert _engine(seed).default_tenure(mobile_hash) == expected


def test_default_distribution_is_mostly_long_tenure() -> None:
    engine = _engine(0)
    import hashlib

    counts = Counter(
        engine.default_tenure(hashlib.sha256(str(i).encode()).hexdigest()) for i in range(4000)
    )
    assert counts.most_common(1)[0][0] == "5"
    assert counts["5"] > 0.5 * 4000
    assert set(counts) == set(TENURE_CODES)


def test_latency_range_is_drawn_uniformly_inside_it_and_seeded() -> None:
    rules = [{"then": {"latency": [0.05, 0.1]}}, {"when": {"key": "f"}, "then": {"latency": 0.3}}]
    runs = []
    for _ in range(2):
        engine = _engine(4, rules=rules)
        runs.append([engine.decide(Call("GET", "k", "x", "::1", _NoHeaders())).latency
                     for _ in range(200)])  # fmt: skip
    assert runs[0] == runs[1]
    assert all(0.05 <= d <= 0.1 for d in runs[0])
    assert min(runs[0]) < 0.06 and max(runs[0]) > 0.09  # spread over the range
    fixed = _engine(4, rules=rules[1:]).decide(Call("GET", "f", "x", "::1", _NoHeaders()))
    assert fixed.latency == 0.3


def test_missing_key_beats_everything() -> None:
    engine = _engine(rules=[{"then": {"tenure": "1"}}])
    decision = engine.decide(Call("GET", "", "zz", "127.0.0.1", _NoHeaders()))
    assert decision.error_code == 10001
    assert decision.step == "validation"
