"""The dashboard's server side: the page and its files, ``/`` leading to it, its guard, the
admin endpoints it reads (catalogue, named scenarios, the scenario as YAML), YAML bodies for
``PUT /__admin/scenarios``, and the page's script rules (text only, no codes, nothing remote).

The page itself, in a browser: ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract import ERROR_CODES, PATH, TENURE_CODES, magic_number
from mock_server import create_app
from mock_server.scenario.document import load_document
from mock_server.testing import JuheMock
from mock_server.web import ui as ui_module
from mock_server.web.named import named_scenarios

from ...helpers.answers import fetch, query
from ...helpers.paths import ROOT, SCENARIOS

UI = ROOT / "mock_server" / "web" / "ui"
REMOTE = {"REMOTE_ADDR": "10.1.2.3"}
SCRIPTS = sorted(UI.glob("*.js"))


def test_root_redirects_to_the_dashboard() -> None:
    client = create_app().test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/__admin/ui"
    assert client.get("/__admin/ui/").headers["Location"] == "/__admin/ui"
    # A client that left out the API path still hears where it is.
    lost = client.get("/", query_string={"key": "k", "mobile": "m"})
    assert lost.status_code == 404
    assert lost.get_json()["hint"] == f"the API is at {PATH}"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        *[(f"/{p.name}", "text/javascript; charset=utf-8") for p in SCRIPTS],
    ],
)
def test_page_files_are_served_with_their_type_and_a_strict_policy(
    name: str, content_type: str
) -> None:
    response = create_app().test_client().get("/__admin/ui" + name)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_file_of_the_page_is_served_and_shipped() -> None:
    on_disk = {p.name for p in UI.iterdir() if p.is_file()}
    assert set(ui_module._FILES) == on_disk
    if sys.version_info >= (3, 11):  # tomllib; 3.10 has none
        import tomllib

        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        patterns = project["tool"]["setuptools"]["package-data"]["mock_server.web"]
        for name in on_disk:
            assert any(Path("ui", name).match(p) for p in patterns), name


@pytest.mark.parametrize(
    "target", ["/__admin/ui/../admin.py", "/__admin/ui/nope.js", "/__admin/ui/ui.py"]
)
def test_nothing_but_the_page_files_is_served(target: str) -> None:
    response = create_app().test_client().get(target)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_page_is_for_loopback_clients_without_a_token() -> None:
    client = create_app().test_client()
    refused = client.get("/__admin/ui", environ_base=REMOTE)
    assert refused.status_code == 403
    assert "loopback" in refused.get_json()["message"]
    assert client.get("/__admin/catalogue", environ_base=REMOTE).status_code == 403
    assert client.get("/__admin/scenarios/named", environ_base=REMOTE).status_code == 403


def test_with_a_token_the_page_is_served_but_its_data_needs_the_token() -> None:
    # A browser cannot send a header with a navigation: the page (no data in it) is served,
    # and asks for the token, which its fetches send as a header.
    client = create_app({"admin_token": "t0ken"}).test_client()
    assert client.get("/__admin/ui", environ_base=REMOTE).status_code == 200
    for path in ["/__admin/catalogue", "/__admin/scenarios/named", "/__admin/requests"]:
        assert client.get(path, environ_base=REMOTE).status_code == 401
        ok = client.get(path, environ_base=REMOTE, headers={"Authorization": "Bearer t0ken"})
        assert ok.status_code == 200


def test_catalogue_is_the_contracts_words() -> None:
    body = create_app().test_client().get("/__admin/catalogue").get_json()
    assert body["path"] == PATH
    assert body["success"] == {"error_code": 0, "words": "成功", "billed": True}
    assert [t["code"] for t in body["tenure"]] == list(TENURE_CODES)
    assert [t["words"] for t in body["tenure"]] == [t.words for t in TENURE_CODES.values()]
    assert [e["error_code"] for e in body["errors"]] == list(ERROR_CODES)
    for entry in body["errors"]:
        code = ERROR_CODES[entry["error_code"]]
        assert (entry["words"], entry["kind"], entry["billed"]) == (
            code.words,
            code.kind.value,
            False,
        )
    assert {f["kind"] for f in body["faults"]} >= {"drop", "status", "malformed"}


def test_named_scenarios_are_listed_with_their_text() -> None:
    listed = create_app().test_client().get("/__admin/scenarios/named").get_json()["scenarios"]
    assert [s["name"] for s in listed] == sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert listed == named_scenarios()
    for scenario in listed:
        assert scenario["summary"] and len(scenario["summary"]) <= 201
        path = SCENARIOS / f"{scenario['name']}.yaml"
        assert scenario["text"] == path.read_text(encoding="utf-8")
    quota = next(s for s in listed if s["name"] == "quota-exhausted")
    assert quota["summary"] == "every key's quota of successes is used up."


def test_named_scenarios_come_from_the_package_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "named").mkdir()
    (tmp_path / "named" / "only.yaml").write_text("# only: the one.\nversion: 1\n", "utf-8")
    monkeypatch.setattr("mock_server.web.named._folders", lambda: [tmp_path / "named"])
    assert named_scenarios() == [
        {"name": "only", "summary": "the one.", "text": "# only: the one.\nversion: 1\n"}
    ]
    monkeypatch.setattr("mock_server.web.named._folders", lambda: [tmp_path / "none"])
    assert named_scenarios() == []


def _put(mock: JuheMock, body: bytes, content_type: str | None) -> Any:
    import requests

    headers = {"Content-Type": content_type} if content_type else {}
    return requests.put(mock.url + "/__admin/scenarios", data=body, headers=headers, timeout=10)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_can_be_put_as_yaml(juhe_mock: JuheMock, path: Path) -> None:
    import requests

    response = _put(juhe_mock, path.read_bytes(), "application/yaml")
    assert response.status_code == 200, response.text
    assert response.json() == {"rules": len(load_document(path).get("rules", []))}
    # The page shows it as YAML that reads back as the same document.
    as_yaml = requests.get(juhe_mock.url + "/__admin/scenarios?format=yaml", timeout=10).text
    assert (
        yaml.safe_load(as_yaml)
        == requests.get(juhe_mock.url + "/__admin/scenarios", timeout=10).json()
    )


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/yaml"])
def test_a_yaml_body_changes_the_answers(juhe_mock: JuheMock, content_type: str | None) -> None:
    body = (
        b"# maintenance, as curl --data-binary @file sends it\nrules:\n  - then: {error: 10020}\n"
    )
    response = _put(juhe_mock, body, content_type)
    assert response.json() == {"rules": 1}
    assert fetch(juhe_mock, query(magic_number("1")))["error_code"] == 10020


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"keys:\n  quota: -1\n", "$.keys.quota: -1 is less than the minimum of 0"),
        (b"rules:\n  - then: {tenure: '7'}\n", "$.rules[0].then.tenure"),
        (b"keys: [\n", "line 2, column 1: not valid YAML or JSON"),
        (b"- 1\n- 2\n", "$: "),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_a_bad_yaml_body_is_400_with_where_and_why(
    juhe_mock: JuheMock, body: bytes, needle: str
) -> None:
    response = _put(juhe_mock, body, "application/yaml")
    assert response.status_code == 400
    assert needle in response.json()["message"]
    assert fetch(juhe_mock, query(magic_number("2")))["result"]["code"] == "2"  # unchanged


def test_scenario_in_force_reads_as_yaml_too(juhe_mock: JuheMock) -> None:
    import requests

    doc = {"description": "短 description", "rules": [{"name": "m", "then": {"error": 10020}}]}
    requests.put(juhe_mock.url + "/__admin/scenarios", json=doc, timeout=10).raise_for_status()
    as_json = requests.get(juhe_mock.url + "/__admin/scenarios", timeout=10).json()
    as_yaml = requests.get(juhe_mock.url + "/__admin/scenarios?format=yaml", timeout=10)
    assert as_yaml.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert "短 description" in as_yaml.text  # readable, not escaped
    assert yaml.safe_load(as_yaml.text) == as_json
    # What the page shows can be applied as it is, and changes nothing.
    assert _put(juhe_mock, as_yaml.content, "application/yaml").json() == {"rules": 1}
    assert requests.get(juhe_mock.url + "/__admin/scenarios", timeout=10).json() == as_json


# --- the page's scripts ------------------------------------------------------------------

_HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
    r"DOMParser|createContextualFragment|srcdoc"
)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_put_data_into_the_page_as_text_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not _HTML_SINKS.search(text), _HTML_SINKS.search(text)


@pytest.mark.parametrize(
    "path", [*SCRIPTS, UI / "index.html", UI / "style.css"], ids=lambda p: p.name
)
def test_page_files_hold_no_codes_and_load_nothing_remote(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # The codes and their words come from GET /__admin/catalogue, never from a second list.
    for code, entry in ERROR_CODES.items():
        assert str(code) not in text and entry.words not in text, code
    assert "成功" not in text
    remote = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text)
    assert remote in ([], ["http://www.w3.org"]), remote  # the SVG namespace is a name


def test_page_has_no_inline_script_or_style() -> None:
    html = (UI / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="ui/app.js">']
    assert "<style" not in html and not re.search(r"\s(style|on\w+)=", html)
