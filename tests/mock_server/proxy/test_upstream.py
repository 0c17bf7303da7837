"""Each httpx fault is mapped: whether the request may have been sent, and 502 or 504."""

from __future__ import annotations

import httpx
import pytest

from mock_server.proxy.upstream import FAULTS, Secret, fault_of


def _every(cls: type[BaseException]) -> list[type[BaseException]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _every(sub)
    return found


@pytest.mark.parametrize("fault", _every(httpx.HTTPError), ids=lambda c: c.__name__)
def test_every_httpx_fault_is_in_the_table(fault: type[BaseException]) -> None:
    # A new httpx fault would count as sent (fail closed), but should be judged on purpose.
    assert fault.__name__ in FAULTS


@pytest.mark.parametrize(
    ("fault", "sent", "status"),
    [
        (httpx.ConnectError("x"), False, 502),
        (httpx.ConnectTimeout("x"), False, 504),
        (httpx.PoolTimeout("x"), False, 504),
        (httpx.ReadTimeout("x"), True, 504),
        (httpx.WriteTimeout("x"), True, 504),
        (httpx.RemoteProtocolError("x"), True, 502),
        (httpx.ReadError("x"), True, 502),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_a_fault_says_whether_it_was_sent(fault: Exception, sent: bool, status: int) -> None:
    assert fault_of(fault) == (type(fault).__name__, sent, status)


def test_an_unknown_fault_counts_as_sent() -> None:
    class Odd(Exception):
        pass

    assert fault_of(Odd()) == ("Odd", True, 502)


def test_the_key_shows_as_its_fingerprint() -> None:
    secret = Secret("0123456789abcdef0123456789abcdef")
    assert "0123456789abcdef" not in repr(secret) + str(secret)
    assert repr(secret).startswith("<key ") and secret.reveal().startswith("0123")
