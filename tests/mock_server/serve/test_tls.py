"""HTTPS: a client pinned to ``https://`` tested against the mock, in process and served.

``MockServer(tls=True)`` and ``juhe-mock --tls-self-signed`` make a certificate for
loopback at start; ``--tls-cert/--tls-key`` serve given files, checked first (a bad one is
exit 2 naming it). requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a
session's ``verify``, so the tests clear them, as a user's suite must (docs/mock-server.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from client import TenureClient
from contract import PATH, magic_number
from mock_server import MockServer
from mock_server.serve.tls import TlsError, self_signed

from ...helpers.answers import fetch, query
from ...helpers.served import ServedMock, mock_command

pytestmark = [pytest.mark.subprocess, pytest.mark.timeout(90)]


@pytest.fixture(autouse=True)
def _no_bundle_override(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def _client(url: str, cert: Path) -> TenureClient:
    session = requests.Session()
    session.verify = str(cert)
    return TenureClient("tls-test-key", base_url=url, session=session, max_retries=0)


def test_the_reference_client_over_https_in_process() -> None:
    with MockServer(tls=True, seed=1) as mock:
        assert mock.url.startswith("https://127.0.0.1:")
        cert = mock.tls_cert
        assert cert is not None and cert.is_file()
        with _client(mock.url, cert) as client:
            assert client.query(magic_number("4")).code.value == "4"
        assert fetch(mock, query(magic_number("2")), verify=str(cert))["result"]["code"] == "2"
        assert [e["outcome"]["code"] for e in mock.requests] == ["4", "2"]
        with pytest.raises(requests.exceptions.SSLError):  # not trusted unless asked
            requests.get(mock.url + PATH, timeout=10)
    assert not cert.exists()  # the self-signed certificate goes with the mock


def test_plain_http_to_the_tls_port_fails_cleanly_and_https_goes_on() -> None:
    with MockServer(tls=True) as mock:
        plain = mock.url.replace("https://", "http://")
        with pytest.raises(requests.ConnectionError):
            requests.get(plain + PATH, params=query(magic_number("3")), timeout=10)
        assert mock.tls_cert is not None
        body = fetch(mock, query(magic_number("3")), verify=str(mock.tls_cert))
        assert body["result"]["code"] == "3"
        assert len(mock.requests) == 1  # the plain request was never an API call


def test_given_files_in_process(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with MockServer(tls=(cert, key)) as mock:
        assert mock.tls_cert == cert
        assert fetch(mock, query(magic_number("1")), verify=str(cert))["result"]["code"] == "1"
    assert cert.exists()  # given files are the caller's


def test_bad_files_in_process_name_the_file(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with pytest.raises(TlsError, match=r"^--tls-cert .*nope\.pem: no such file$"):
        MockServer(tls=(tmp_path / "nope.pem", key))
    with pytest.raises(TlsError, match=r"^--tls-key .*cert\.pem: not a PEM private key"):
        MockServer(tls=(cert, cert))


def _served_cert(mock: ServedMock) -> Path:
    for line in mock.log_text().splitlines():
        if "self-signed certificate" in line:
            return Path(line.rsplit(": ", 1)[1])
    raise AssertionError(f"no certificate line in {mock.log_text()!r}")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_juhe_mock_self_signed_serves_https(workers: str) -> None:
    with ServedMock("--tls-self-signed", "--workers", workers) as mock:
        assert mock.url.startswith("https://127.0.0.1:")
        cert = _served_cert(mock)
        with _client(mock.url, cert) as client:
            assert client.query(magic_number("5")).code.value == "5"
        assert fetch(mock.url, query(magic_number("5")), verify=str(cert))["result"]["code"] == "5"
        mock.process.send_signal(signal.SIGTERM)
        assert mock.process.wait(timeout=20) == 0
    assert not cert.parent.exists()  # removed at the end


def test_juhe_mock_with_given_files_and_from_the_environment(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with ServedMock("--tls-cert", str(cert), "--tls-key", str(key)) as mock:
        assert mock.url.startswith("https://")
        assert fetch(mock.url, query(magic_number("3")), verify=str(cert))["result"]["code"] == "3"
    env = {**os.environ, "JUHE_MOCK_TLS_CERT": str(cert), "JUHE_MOCK_TLS_KEY": str(key)}
    done = subprocess.run(mock_command("--tls-key", str(tmp_path / "x.pem")),
                          env=env, capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 2 and "x.pem: no such file" in done.stderr


def _fails(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(mock_command(*args), capture_output=True, text=True,
                          timeout=30, env=env)  # fmt: skip
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_certificate_files_exit_2_naming_the_file(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, other_key = self_signed(other)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n", encoding="ascii")
    missing = str(tmp_path / "missing.pem")
    cases = [
        (("--tls-cert", missing, "--tls-key", str(key)), f"--tls-cert {missing}: no such file"),
        (("--tls-cert", str(junk), "--tls-key", str(key)), f"--tls-cert {junk}: not a PEM"),
        (("--tls-cert", str(cert), "--tls-key", str(junk)), f"--tls-key {junk}: not a PEM"),
        (("--tls-cert", str(cert), "--tls-key", str(other_key)),
         f"--tls-key {other_key}: not the key of --tls-cert {cert}"),
        (("--tls-cert", str(cert)), "tls_cert: needs tls_key too"),
        (("--tls-self-signed", "--tls-cert", str(cert), "--tls-key", str(key)),
         "tls_self_signed: a certificate is given as well"),
    ]  # fmt: skip
    for args, message in cases:
        line = _fails(*args)
        assert line.startswith("juhe-mock: ") and message in line, (args, line)


def test_self_signed_without_openssl_says_what_to_do(tmp_path: Path) -> None:
    # PATH without openssl; the command itself is named by its full path.
    env = {**os.environ, "PATH": str(tmp_path)}
    line = _fails("--tls-self-signed", env=env)
    assert "needs the openssl command" in line and "--tls-cert FILE --tls-key FILE" in line


def test_the_certificate_names_loopback(tmp_path: Path) -> None:
    """requests checks the name against the certificate: both loopback names pass."""
    cert, key = self_signed(tmp_path)
    with MockServer(tls=(cert, key)) as mock:
        for host in ("127.0.0.1", "localhost"):
            base = f"https://{host}:{mock.port}"
            assert fetch(base, query(magic_number("1")), verify=str(cert))["error_code"] == 0
