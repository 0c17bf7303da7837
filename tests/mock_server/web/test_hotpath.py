"""The hot path's shortcuts give exactly what the plain code they replace would give.

(How fast they are is measured by hand and in ``bench/``, never asserted here.)"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from contract.clock import BEIJING
from mock_server.web.answer import _Stamps
from mock_server.web.params import parse_query

QUERY_CHARS = st.sampled_from([*"ab=&k;%+-_.~09xyz", "%41", "%zz", "%E6%89%8B", "%E6", " "])


def _first_values(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="mock_server.percent"):
        out.setdefault(name, value)
    return out


@given(st.lists(QUERY_CHARS, max_size=30).map("".join))
def test_parse_query_matches_parse_qsl_first_values(text: str) -> None:
    assert parse_query(text) == _first_values(text)
    assert parse_query(text.encode()) == _first_values(text)


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_journal_stamp_matches_isoformat_to_the_millisecond(now: float) -> None:
    stamps = _Stamps()
    expected = datetime.fromtimestamp(now, BEIJING).isoformat(timespec="milliseconds")
    assert stamps(now) == expected
    assert stamps(now) == expected  # from the cache, the second time


def test_journal_stamp_carries_a_rounded_up_second() -> None:
    now = 1_700_696_752.9999996  # rounds to the next whole second, as datetime does
    assert _Stamps()(now) == datetime.fromtimestamp(now, BEIJING).isoformat(timespec="milliseconds")
