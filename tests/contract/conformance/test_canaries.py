"""contract.conformance.canaries: known answers from a file or the environment; bad files
named to the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract import MAGIC_NUMBERS, mobile_sha256
from contract.conformance.canaries import (
    CanaryError,
    canaries_from_env,
    load_canaries,
    parse_canaries,
)

from ...helpers.paths import SAMPLE_CANARIES

HASH = "b" * 64


def test_sample_file_pins_magic_numbers_to_their_codes() -> None:
    canaries = load_canaries(SAMPLE_CANARIES)
    assert len(canaries) >= 5
    by_hash = {m.sha256: m for m in MAGIC_NUMBERS.values()}
    for canary in canaries:
        magic = by_hash[canary.mobile_sha256]
        assert canary.error_code == magic.error_code
        if canary.codes is not None:
            assert canary.codes == (magic.tenure,)


def test_bare_list_and_code_lists_are_accepted() -> None:
    text = json.dumps([{"name": "a", "mobile_sha256": HASH.upper(),
                        "expect": {"error_code": 0, "code": ["4", "5"]}}])  # fmt: skip
    (canary,) = parse_canaries(text, "inline")
    assert canary.mobile_sha256 == HASH
    assert canary.codes == ("4", "5")
    assert canary.matches(0, "5") and not canary.matches(0, "3") and not canary.matches("0", "5")
    assert canary.expected() == "0 (code 4/5)"


def test_env_takes_inline_json_or_a_path(tmp_path: Path) -> None:
    doc = {"canaries": [{"name": "x", "mobile_sha256": HASH, "expect": {"error_code": 234803}}]}
    assert canaries_from_env(json.dumps(doc))[0].error_code == 234803
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert canaries_from_env(str(path))[0].name == "x"


def _one(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"name": "n", "mobile_sha256": HASH, "expect": {"error_code": 0}}
    item.update(changes)
    return {"canaries": [item]}


BAD = [
    ("not json {", "line 1", "not valid JSON"),
    ({"other": []}, "$.canaries", "missing"),
    ({"canaries": {}}, "$.canaries", "must be a list"),
    ({"canaries": [3]}, "$.canaries[0]", "must be an object"),
    (_one(name=""), "$.canaries[0].name", "non-empty"),
    (_one(mobile_sha256="13000000003"), "$.canaries[0].mobile_sha256", "never the number"),
    (_one(mobile_sha256=HASH[:63]), "$.canaries[0].mobile_sha256", "64-hex"),
    (_one(expect=0), "$.canaries[0].expect", "must be an object"),
    (_one(expect={"error_code": "0"}), "$.canaries[0].expect.error_code", "an integer"),
    (_one(expect={"error_code": 12345}), "$.canaries[0].expect.error_code", "catalogue"),
    (_one(expect={"error_code": 234803, "code": "3"}), "$.canaries[0].expect.code", "only a"),
    (_one(expect={"error_code": 0, "code": "6"}), "$.canaries[0].expect.code", "tenure code"),
    (_one(expect={"error_code": 0, "code": [["3"]]}), "$.canaries[0].expect.code", "tenure"),
    (_one(expect={"error_code": 0, "codes": "3"}), "$.canaries[0].expect.codes", "unknown"),
    (_one(mobile="x"), "$.canaries[0].mobile", "unknown field"),
    ({"canaries": [_one()["canaries"][0]] * 2}, "$.canaries[1].name", "twice"),
]


@pytest.mark.parametrize(("content", "path", "why"), BAD, ids=[b[1] + " " + b[2] for b in BAD])
def test_bad_file_names_the_file_and_the_field(
    tmp_path: Path, content: Any, path: str, why: str
) -> None:
    file = tmp_path / "canaries.json"
    file.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    with pytest.raises(CanaryError) as caught:
        load_canaries(file)
    assert caught.value.source == str(file)
    assert caught.value.path == path
    assert why in caught.value.why
    assert str(file) in str(caught.value)
    assert "13000000003" not in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CanaryError, match="no such file"):
        load_canaries(tmp_path / "absent.json")


def test_a_number_pasted_as_hash_is_refused_without_repeating_it() -> None:
    phone = next(iter(MAGIC_NUMBERS))
    doc = _one(mobile_sha256=phone)
    with pytest.raises(CanaryError) as caught:
        parse_canaries(json.dumps(doc), "inline")
    assert phone not in str(caught.value)
    assert mobile_sha256(phone) not in str(caught.value)
