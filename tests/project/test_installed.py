"""The toolkit as a user gets it: installed from a clone into a fresh virtual environment.

One module-scoped venv (about 20 s): the clone's files (what ``git ls-files`` lists, as
they are in the work tree) are installed with ``pip install <clone>``, not editable, so
only what the wheel ships is there. Then, from outside the checkout:

- the wheel holds the named scenarios and the bundled OpenAPI, and the installed
  ``juhe-mock --list-scenarios`` lists them;
- a separate project drives a ``juhe-mock`` subprocess only through ``AdminClient`` and
  verifies its own client with ``assert_called`` (the issue's "done when").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.scenario import library

from ..helpers.paths import ROOT

pytestmark = pytest.mark.subprocess

#: Bounds for each step: a pip install from the local wheel cache takes 10-20 s here.
INSTALL_TIMEOUT_S = 600


def _run(*args: str | Path, cwd: Path, timeout: float = INSTALL_TIMEOUT_S) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUHE_", "PYTEST_"))}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _copy_clone(target: Path) -> Path:
    """The checkout's files as a clone has them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode("utf-8")  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source, copy = ROOT / name, target / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, copy)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("installed")
    clone = _copy_clone(base / "clone")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "wheels", clone,
         cwd=base)  # fmt: skip
    (wheel,) = (base / "wheels").glob("*.whl")
    _run(sys.executable, "-m", "venv", base / "venv", cwd=base)
    python = base / "venv" / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", clone, "pytest", cwd=base)
    yield {"base": base, "wheel": wheel, "python": python, "bin": python.parent}


def test_the_wheel_ships_the_named_scenarios_and_the_bundled_openapi(
    installed: dict[str, Path],
) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in library.names():
        assert f"mock_server/scenario/named/{name}.yaml" in names
    assert {"contract/openapi.bundled.json", "contract/openapi.yaml"} <= names
    assert "contract/conformance/recording.schema.json" in names  # the recording's format


def test_the_installed_mock_lists_and_loads_them(installed: dict[str, Path]) -> None:
    out = _run(installed["bin"] / "juhe-mock", "--list-scenarios", cwd=installed["base"])
    assert [line.split()[0] for line in out.splitlines()] == list(library.names())
    out = _run(installed["bin"] / "juhe-mock", "validate", *library.names(), cwd=installed["base"])
    assert out.count(": valid\n") == len(library.names())


PROJECT_CLIENT = '''
"""A user's own client of the tenure API: posts the key and the number's hash."""
import hashlib

import requests


def tenure(base_url, key, phone):
    digest = hashlib.sha256(phone.encode()).hexdigest()
    answer = requests.post(
        base_url + "/mobile_online_sha256_cucc/query",
        data={"key": key, "mobile": digest}, timeout=5,
    ).json()
    if answer["error_code"] != 0:
        raise RuntimeError(f"error {answer['error_code']}")
    return answer["result"]["code"]
'''

PROJECT_TESTS = """
import pathlib
import signal
import subprocess
import sys

import pytest

import mock_server
from mock_server import AdminClient

from myclient import tenure

KEY = "project-key-0c9e4a"


@pytest.fixture(scope="module")
def mock():
    exe = pathlib.Path(sys.executable).parent / "juhe-mock"
    process = subprocess.Popen([str(exe), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip().removeprefix("juhe-mock serving on ")
        with AdminClient(url) as admin:
            admin.wait()
            yield admin
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        process.stdout.close()


@pytest.fixture(autouse=True)
def fresh(mock):
    mock.reset()


def test_the_package_is_the_installed_one():
    assert "site-packages" in mock_server.__file__


def test_a_success_is_posted_with_the_key_in_the_form(mock):
    assert tenure(mock.url, KEY, "13000000003") == "3"
    mock.assert_called(times=1, key=KEY, mobile="13000000003", method="POST", code="3",
                       key_from="form")
    assert mock.requests[-1]["params"] == ["key", "mobile"]
    assert mock.usage["billable"] == 1


def test_a_shipped_scenario_and_a_failure_that_shows_what_was_received(mock):
    mock.scenario("quota-exhausted")
    with pytest.raises(RuntimeError, match="error 10012"):
        tenure(mock.url, KEY, "13812345678")
    mock.assert_called(times=1, code=10012)
    mock.assert_not_called(code=0)
    with pytest.raises(AssertionError) as caught:
        mock.assert_called(method="GET")
    assert "[differs: method]" in str(caught.value) and KEY not in str(caught.value)
"""


def test_a_separate_project_drives_the_mock_only_through_the_admin_client(
    installed: dict[str, Path],
) -> None:
    project = installed["base"] / "project"
    (project / "tests").mkdir(parents=True)
    (project / "myclient.py").write_text(textwrap.dedent(PROJECT_CLIENT), encoding="utf-8")
    (project / "tests" / "test_myclient.py").write_text(PROJECT_TESTS, encoding="utf-8")
    out = _run(
        installed["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", project,
        "-o", "pythonpath=.", "tests", cwd=project, timeout=180,
    )  # fmt: skip
    assert "3 passed" in out, out
