"""The Prism recipe of docs/mock-server.md: ``prism proxy`` validates juhe-mock's traffic
against ``contract/openapi.bundled.json``.

Prism comes from npm (``@stoplight/prism-cli``, pure JavaScript), installed once into
``.cache/prism`` (``.ci/run`` installs the same version before the tests). Without node
and npm the tests skip saying so; with ``CI=true`` they fail instead: CI must run them.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import contract
from contract import MAGIC_NUMBERS, PATH, mobile_sha256
from contract.validate import validate

from ..served import ServedMock

ROOT = Path(__file__).resolve().parents[2]
PRISM = "@stoplight/prism-cli@5.16.0"
CACHE = ROOT / ".cache" / "prism"
BUNDLED = Path(contract.__file__).parent / "openapi.bundled.json"
START_TIMEOUT_S = 90
KEY = "prism-recipe-key-40af"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(why: str) -> None:
    if _in_ci():
        pytest.fail(f"Prism cannot run in CI: {why}")
    pytest.skip(f"Prism not run: {why}")


def _prism() -> Path:
    """The ``prism`` command, installed from npm on first use."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        _unavailable("node and npm are needed (apt-get install npm)")
    command = CACHE / "node_modules" / ".bin" / "prism"
    if not command.exists():
        done = subprocess.run(
            [str(npm), "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), PRISM],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not command.exists():
            _unavailable(f"npm install {PRISM} failed: {done.stderr.strip()[-300:]}")
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[str, ServedMock]]:
    """``prism proxy --errors`` in front of a juhe-mock process: (prism's URL, the mock)."""
    command = _prism()
    with ServedMock() as mock:
        port = _free_port()
        process = subprocess.Popen(
            [str(command), "proxy", str(BUNDLED), mock.url, "--host", "127.0.0.1",
             "--port", str(port), "--errors"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        assert process.stdout is not None
        stdout = process.stdout
        lines: queue.Queue[str] = queue.Queue()
        # Read by a thread: ``select`` on a pipe that Python buffers misses lines that
        # arrived together and wait in the buffer.
        reader = threading.Thread(target=lambda: [lines.put(line) for line in stdout])
        reader.start()
        try:
            _wait_listening(process, lines)
            yield f"http://127.0.0.1:{port}", mock
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # prism and the node processes it started
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
            reader.join(timeout=15)  # at the pipe's end now
            stdout.close()


def _wait_listening(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Until prism says it listens (its output lines arrive in ``lines``)."""
    deadline, seen = time.monotonic() + START_TIMEOUT_S, []
    while time.monotonic() < deadline and process.poll() is None:
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if "Prism is listening" in seen[-1]:
            return
    raise AssertionError("prism proxy did not start:\n" + "".join(seen[-20:]))


def test_every_magic_answer_passes_prisms_validation(proxied: tuple[str, ServedMock]) -> None:
    prism, mock = proxied
    mock.reset()
    for phone, magic in MAGIC_NUMBERS.items():
        for method in ("GET", "POST"):
            params = {"key": KEY, "mobile": mobile_sha256(phone)}
            if method == "GET":
                response = requests.get(prism + PATH, params=params, timeout=20)
            else:
                response = requests.post(prism + PATH, data=params, timeout=20)
            assert response.status_code == 200, (phone, response.headers, response.text)
            assert "sl-violations" not in response.headers, response.headers["sl-violations"]
            body = response.json()
            assert validate(body, strict=True) == [] and body["error_code"] == magic.error_code
    assert len(mock.requests) == 2 * len(MAGIC_NUMBERS)  # every one went through to the mock


def test_a_contract_breaking_answer_is_caught_by_prism(proxied: tuple[str, ServedMock]) -> None:
    prism, mock = proxied
    mock.reset()
    mock.configure(
        {"rules": [{"then": {"fault": "raw", "json": {"reason": "成功", "result": {"code": "7"},
                                                      "error_code": 0}}}]}
    )  # fmt: skip
    try:
        response = requests.get(prism + PATH, params={"key": KEY, "mobile": "a" * 64}, timeout=20)
    finally:
        mock.reset()
    assert response.status_code == 500
    violations = response.headers["sl-violations"]
    assert re.search(r"result\.code must be equal to one of the allowed values", violations)


def test_prism_refuses_a_request_the_document_calls_invalid(
    proxied: tuple[str, ServedMock],
) -> None:
    # The recipe's limit: Prism answers 422 itself, so the mock's own 234802 is never seen.
    prism, mock = proxied
    mock.reset()
    response = requests.get(prism + PATH, params={"key": KEY, "mobile": "xyz"}, timeout=20)
    assert response.status_code == 422
    assert "mobile must match pattern" in response.text
    assert mock.requests == []


def test_ci_installs_the_same_prism() -> None:
    # .ci/run installs the tests' packages through .ci/deps (the GitHub workflow too)
    assert ".ci/deps" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    script = (ROOT / ".ci" / "deps").read_text(encoding="utf-8")
    assert f"--prefix .cache/prism {PRISM}" in script
