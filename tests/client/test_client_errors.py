"""Every error code maps to exactly one exception class, chosen by its family."""

from __future__ import annotations

import pickle

import pytest

import client
from client import errors
from client.errors import (
    ERROR_CLASSES,
    FAMILY_CLASSES,
    JuheError,
    TransportError,
    error_for,
)
from contract import ERROR_CODES, Family, error_body

from ..helpers.paths import ROOT

# The issue's own table, written out once here to check the derived one against it.
EXPECTED_FAMILIES = {
    client.InvalidKeyError: {10001, 10002, 10003, 10004, 10005, 10009},
    client.QuotaError: {10012, 10013},
    client.RateLimitError: {10011},
    client.ForbiddenSourceError: {10007, 10008},
    client.UnavailableError: {10020, 10021},
    client.ProviderFailureError: {234801, 234804, 10014},
    client.NoRecordError: {234803},
    client.InvalidParameterError: {234802},
}


def test_error_classes_cover_every_catalogue_code() -> None:
    assert set(ERROR_CLASSES) == set(ERROR_CODES)


def test_family_classes_one_distinct_class_per_family() -> None:
    assert set(FAMILY_CLASSES) == set(Family)
    assert len(set(FAMILY_CLASSES.values())) == len(Family)
    for family, cls in FAMILY_CLASSES.items():
        assert cls.family is family


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_code_maps_to_exactly_one_family_class(code: int) -> None:
    matching = [cls for cls, codes in EXPECTED_FAMILIES.items() if code in codes]
    assert matching == [ERROR_CLASSES[code]]
    assert ERROR_CLASSES[code].family is ERROR_CODES[code].family


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_for_carries_code_reason_and_body(code: int) -> None:
    body = error_body(code)
    exc = error_for(code, body["reason"], body)
    assert type(exc) is ERROR_CLASSES[code]
    assert isinstance(exc, JuheError)
    assert not isinstance(exc, TransportError)
    assert exc.error_code == code
    assert exc.reason == body["reason"]
    assert exc.body is body
    assert exc.entry is ERROR_CODES[code]
    assert str(code) in str(exc)
    assert body["reason"] in str(exc)


@pytest.mark.parametrize("code", [1, 10006, 10010, 234899, -1])
def test_error_for_unknown_code_falls_back_to_base(code: int) -> None:
    exc = error_for(code, "新的错误")
    assert type(exc) is JuheError
    assert exc.error_code == code
    assert exc.entry is None
    assert exc.family is None
    assert not exc.retryable


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_error_retryable_only_for_234801(code: int) -> None:
    assert error_for(code, "x").retryable is (code == 234801)


def test_error_tree_every_public_exception_is_a_juhe_error() -> None:
    public = [getattr(errors, name) for name in errors.__all__]
    classes = [obj for obj in public if isinstance(obj, type)]
    assert len(classes) == 1 + len(FAMILY_CLASSES) + 5  # base, families, transport branch
    assert all(issubclass(cls, JuheError) for cls in classes)


def test_error_tree_drawn_in_docstring_names_every_class() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        if isinstance(getattr(errors, name), type):
            assert f" {name} " in doc, name


@pytest.mark.parametrize(
    ("cls", "answered", "sent", "retryable"),
    [
        (client.ConnectError, False, None, True),  # refused: nothing was sent
        (client.ConnectError, False, True, False),  # cut mid-request: may have been billed
        (client.RequestTimeout, False, False, True),  # a connect timeout
        (client.RequestTimeout, False, None, False),  # a read timeout: may have been billed
        (client.HTTPStatusError, False, None, False),  # a gateway's 5xx, after sending
        (client.HTTPStatusError, True, None, False),
        (client.InvalidResponseError, True, None, False),
    ],
)
def test_transport_error_safe_to_retry_only_before_sending(
    cls: type[TransportError], answered: bool, sent: bool | None, retryable: bool
) -> None:
    exc = cls("what happened", answered=answered, sent=sent)
    assert exc.error_code is None
    assert exc.retryable is retryable
    assert str(exc) == "what happened"


@pytest.mark.parametrize("code", [*ERROR_CODES, 999])
def test_error_survives_pickle_with_its_fields(code: int) -> None:
    exc = error_for(code, "原因", {"error_code": code})
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert (copy.error_code, copy.reason, copy.body, str(copy)) == (
        code,
        "原因",
        {"error_code": code},
        str(exc),
    )


def test_transport_error_survives_pickle_with_its_fields() -> None:
    exc = client.HTTPStatusError("HTTP 502", answered=False, status=502)
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is client.HTTPStatusError
    assert (copy.status, copy.answered, copy.sent, copy.retryable, str(copy)) == (
        502, False, True, False, "HTTP 502",
    )  # fmt: skip


def test_readme_draws_the_same_tree_as_the_docstring() -> None:
    doc = errors.__doc__ or ""
    tree = doc[doc.index("JuheError ") : doc.index("\n\n", doc.index("JuheError "))]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\n".join(line.strip() for line in tree.splitlines()) in "\n".join(
        line.strip() for line in readme.splitlines()
    )


def test_docstring_tree_lists_the_codes_the_table_maps() -> None:
    drawn: dict[str, set[int]] = {}
    for line in (errors.__doc__ or "").splitlines():
        words = line.replace("├──", "").replace("└──", "").split()
        if words and words[0].endswith("Error") and all(w.isdigit() for w in words[1:]):
            drawn[words[0]] = {int(w) for w in words[1:]}
    mapped: dict[str, set[int]] = {cls.__name__: set() for cls in FAMILY_CLASSES.values()}
    for code, cls in ERROR_CLASSES.items():
        mapped[cls.__name__].add(code)
    assert drawn == mapped
