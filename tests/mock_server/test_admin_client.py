"""AdminClient drives a ``juhe-mock`` in another process over its admin API only, and the
plugin uses it for a URL target; the ``juhe_scenario`` marker and ``JUHE_BASE_URL``."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contract import magic_number, mobile_sha256
from contract.conformance.target import ConfigurableMock
from mock_server import AdminClient, AdminError, ConfigError

from ..helpers.processes import free_port, run_pytest
from ..helpers.served import ServedMock

KEY = "admin-client-key-5e1d"
TOKEN = "admin-token-93c1f0ab"
HASH = mobile_sha256("13812345678")


@pytest.fixture(scope="module")
def served() -> Iterator[ServedMock]:
    with ServedMock() as process:
        yield process


@pytest.fixture
def admin(served: ServedMock) -> Iterator[AdminClient]:
    with AdminClient(served.url) as client:
        client.reset()
        yield client


def _post(client: AdminClient, **data: str) -> int:
    answer = requests.post(client.endpoint, data={"key": KEY, "mobile": HASH, **data}, timeout=10)
    code: int = answer.json()["error_code"]
    return code


@pytest.mark.subprocess
def test_it_is_the_configurable_mock_a_target_takes(admin: AdminClient) -> None:
    assert isinstance(admin, ConfigurableMock)
    assert admin.wait()["status"] == "ok" and admin.health()["rules"] == 0


@pytest.mark.subprocess
def test_scenario_by_shipped_name_file_and_document(admin: AdminClient, tmp_path: Path) -> None:
    admin.scenario("maintenance")
    assert _post(admin) == 10020
    assert admin.document["description"] == "every call answers 10020 (maintenance)"
    path = tmp_path / "quota.yaml"
    path.write_text("keys:\n  quota: 0\n", encoding="utf-8")
    admin.scenario(path)
    assert _post(admin) == 10012
    admin.scenario({"rules": [{"when": {"key": KEY}, "then": {"error": 10009}}]})
    assert _post(admin) == 10009
    assert admin.add_rule({"then": {"error": 10021}}) == "rule-1"
    assert _post(admin, key="another-key") == 10021


@pytest.mark.subprocess
def test_journal_ledger_verification_and_reset(admin: AdminClient) -> None:
    assert _post(admin) == 0
    requests.get(admin.endpoint, params={"key": KEY, "mobile": magic_number("3")}, timeout=10)
    assert [e["outcome"]["error_code"] for e in admin.requests] == [0, 234802]
    assert admin.usage["billable"] == 1
    admin.assert_called(times=1, key=KEY, mobile=HASH, method="POST", code=0, key_from="form")
    admin.assert_not_called(key="someone-else")
    with pytest.raises(AssertionError, match=r"got 0 \(of 2 received\)") as caught:
        admin.assert_called(code=10012)
    assert KEY not in str(caught.value)
    admin.clear_requests()
    assert admin.requests == [] and admin.usage["billable"] == 1
    admin.reset()
    assert admin.usage["billable"] == 0


@pytest.mark.subprocess
def test_a_refused_document_names_the_field(admin: AdminClient, tmp_path: Path) -> None:
    with pytest.raises(AdminError, match=r"HTTP 400: \$\.rules\[0\]\.then\.error") as caught:
        admin.scenario({"rules": [{"then": {"error": 1}}]})
    assert caught.value.status == 400
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line"):
        admin.scenario(bad)  # read here, never sent
    with pytest.raises(ConfigError, match="nor a shipped scenario"):
        admin.scenario("no-such-scenario")


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)  # an HTML page: some other server

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_no_answer_and_not_a_juhe_mock() -> None:
    nothing = AdminClient(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(AdminError, match="no answer from juhe-mock") as caught:
        nothing.wait(timeout=0.3, interval=0.05)
    assert caught.value.status is None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        other = AdminClient(f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(AdminError, match="HTTP 404: not a juhe-mock admin API") as caught:
            other.wait(timeout=5)  # an answer that is no admin API ends the wait at once
        assert caught.value.status == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.subprocess
def test_a_base_url_with_a_wrong_path_gets_the_mocks_own_404(served: ServedMock) -> None:
    with pytest.raises(AdminError, match=r"/elsewhere/__admin/health: HTTP 404: ") as caught:
        AdminClient(served.url + "/elsewhere").health()
    assert caught.value.status == 404


@pytest.mark.subprocess
def test_a_token_is_sent_and_never_shown() -> None:
    with ServedMock("--admin-token", TOKEN) as process:
        with pytest.raises(AdminError, match="HTTP 401: a valid admin token is required"):
            AdminClient(process.url).health()
        client = AdminClient(process.url, token=TOKEN)
        assert client.health()["status"] == "ok"
        assert TOKEN not in repr(client) and "token=<set>" in repr(client)
        with pytest.raises(AdminError) as caught:
            client.scenario({"seed": "x"})
        assert TOKEN not in str(caught.value)


# --- the plugin --------------------------------------------------------------------------

URL_TARGET_TESTS = """
import pytest
from contract import mobile_sha256

HASH = mobile_sha256("13812345678")


def test_scenario_goes_over_the_admin_api(juhe_target):
    assert juhe_target.kind == "url" and not juhe_target.configurable
    juhe_target.scenario("maintenance")
    assert juhe_target.ask(mobile=HASH).error_code == 10020
    juhe_target.mock.assert_called(times=1, code=10020, key_from="form")
    juhe_target.mock.reset()


@pytest.mark.juhe_scenario({"keys": {"quota": 0}})
def test_marker_on_a_url_target(juhe_target):
    assert juhe_target.ask(mobile=HASH).error_code == 10012
    juhe_target.mock.reset()
"""


@pytest.mark.subprocess
def test_url_target_is_configured_through_the_admin_client(tmp_path: Path) -> None:
    (tmp_path / "test_url.py").write_text(URL_TARGET_TESTS, encoding="utf-8")
    with ServedMock() as process:
        done = run_pytest("-q", "test_url.py", "--juhe-target", process.url, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        # And from the environment, as docs/ci-service.md sets it: no option at all.
        done = run_pytest("-q", "test_url.py", cwd=tmp_path, env={"JUHE_BASE_URL": process.url})
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"calls to the server at {process.url}" in done.stdout


MARKER_TESTS = """
import pytest
import requests
from contract import mobile_sha256

HASH = mobile_sha256("13812345678")
pytestmark = pytest.mark.juhe_scenario({"keys": {"per_key": {"t": {"trial": True, "quota": 0}}}})


def _code(mock, key="k"):
    return requests.post(mock.endpoint, data={"key": key, "mobile": HASH}, timeout=5).json()[
        "error_code"
    ]


@pytest.mark.juhe_scenario("maintenance")
def test_named(juhe_mock):
    assert _code(juhe_mock) == 10020  # the function's marker merged over the module's


def test_module_marker_alone(juhe_mock):
    assert _code(juhe_mock, "t") == 10013 and _code(juhe_mock) == 0


def test_the_target_takes_it_too(juhe_target):
    assert juhe_target.ask(mobile=HASH, key="t").error_code == 10013


@pytest.mark.juhe_scenario()
def test_empty_marker(juhe_mock):
    pass
"""


@pytest.mark.subprocess
def test_juhe_scenario_marker(tmp_path: Path) -> None:
    (tmp_path / "test_marker.py").write_text(MARKER_TESTS, encoding="utf-8")
    done = run_pytest("-q", "--strict-markers", "test_marker.py", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3 passed" in done.stdout and "1 error" in done.stdout
    assert "juhe_scenario: give a shipped scenario's name" in done.stdout


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "mock"),
        ({"JUHE_BASE_URL": "http://127.0.0.1:8000"}, "http://127.0.0.1:8000"),
        ({"JUHE_TARGET": "live", "JUHE_BASE_URL": "http://127.0.0.1:8000"}, "live"),
        ({"JUHE_TARGET": "  ", "JUHE_BASE_URL": ""}, "mock"),
    ],
)
def test_juhe_target_defaults_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: str
) -> None:
    from mock_server.pytest_options import target_from_env

    for name in ("JUHE_TARGET", "JUHE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert target_from_env() == expected


def test_several_sources_merge_in_order(tmp_path: Path) -> None:
    from mock_server.testing import merged_scenario

    path = tmp_path / "seed.yaml"
    path.write_text("seed: 5\nrules: [{then: {error: 10009}}]\n", encoding="utf-8")
    merged = merged_scenario(["maintenance", path, {"seed": 6, "rules": [{"then": {}}]}])
    assert isinstance(merged, dict)
    assert merged["seed"] == 6 and len(merged["rules"]) == 2
    assert merged["description"] == "every call answers 10020 (maintenance)"
    assert merged_scenario(["chaos"]) == "chaos"  # one source as it is


@pytest.mark.subprocess
def test_a_live_target_from_the_environment_fails_only_where_it_is_used(tmp_path: Path) -> None:
    (tmp_path / "test_env.py").write_text(
        "def test_plain():\n    assert 1\n\n\ndef test_target(juhe_target):\n    pass\n",
        encoding="utf-8",
    )
    env = {"JUHE_BASE_URL": "https://apis.juhe.cn"}  # the project's own client setting
    done = run_pytest("-q", "test_env.py", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout and "1 error" in done.stdout
    assert "juhe: JUHE_BASE_URL names the live API, which needs --juhe-key" in done.stdout
    done = run_pytest("-q", "test_env.py", cwd=tmp_path, env={"JUHE_TARGET": "staging"})
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "JUHE_TARGET: 'staging': use mock, live or an http(s) URL" in done.stderr
