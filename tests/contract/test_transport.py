"""contract.transport: HTTPS by default; plain http only to loopback without a warning."""

from __future__ import annotations

import pytest
import yaml

from contract import BASE_URL, ENDPOINT
from contract.documents import build_openapi
from contract.transport import cleartext_warning, is_loopback_host, is_vendor_host

from ..helpers.paths import ROOT


def test_every_place_the_vendor_is_named_says_https() -> None:
    assert BASE_URL == "https://apis.juhe.cn" and ENDPOINT.startswith("https://")
    assert build_openapi()["servers"] == [{"url": BASE_URL}]
    committed = yaml.safe_load((ROOT / "contract" / "openapi.yaml").read_text("utf-8"))
    assert committed["servers"] == [{"url": BASE_URL}]
    nightly = (ROOT / ".github" / "workflows" / "nightly-contract.yml").read_text("utf-8")
    assert "https://apis.juhe.cn" in nightly and "http://apis.juhe.cn" not in nightly
    for doc in ("docs/live.md", "docs/wire.md", "docs/ci-service.md"):
        assert "http://apis.juhe.cn" not in (ROOT / doc).read_text("utf-8"), doc


WARNED = [
    ("http://apis.juhe.cn", True),
    ("http://10.0.0.5:8000", True),
    ("http://juhe-mock:8000", True),
    ("HTTP://Example.test/", True),
    ("https://apis.juhe.cn", False),
    ("http://127.0.0.1:8000", False),
    ("http://127.9.9.9", False),
    ("http://localhost:8000", False),
    ("http://[::1]:8000", False),
    ("not a url", False),
]


@pytest.mark.parametrize(("url", "warned"), WARNED)
def test_cleartext_warning_only_for_plain_http_off_this_machine(url: str, warned: bool) -> None:
    warning = cleartext_warning(url)
    assert (warning is not None) is warned
    if warning:
        assert "in clear text" in warning


@pytest.mark.parametrize(
    ("host", "loopback", "vendor"),
    [
        ("127.0.0.1", True, False),
        ("localhost.", True, False),
        ("::1", True, False),
        ("apis.juhe.cn", False, True),
        ("apis.juhe.cn.", False, True),
        ("V.JUHE.CN", False, True),
        ("notjuhe.cn", False, False),
        ("juhe.cn.example", False, False),
        (None, False, False),
    ],
)
def test_loopback_and_vendor_hosts(host: str | None, loopback: bool, vendor: bool) -> None:
    assert is_loopback_host(host) is loopback
    assert is_vendor_host(host) is vendor
