"""The Dockerfile, read instruction by instruction (docker itself does not run here).

What can be checked without docker: a slim Python base, a non-root USER in the final stage,
a HEALTHCHECK on ``/__admin/health`` whose command really works against a running mock,
``--host 0.0.0.0`` and the EXPOSEd port in the ENTRYPOINT, and a .dockerignore that keeps
the build context small. Building and running the image happens in CI (ci.yml).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from mock_server import MockServer

from .conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    joined, found = "", []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not joined and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            joined += line[:-1] + " "
            continue
        joined += line
        word, _, rest = joined.strip().partition(" ")
        found.append((word.upper(), rest.strip()))
        joined = ""
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value


def test_base_is_slim_python() -> None:
    bases = [args for word, args in instructions() if word == "FROM"]
    assert bases and all(re.match(r"python:3\.\d+-slim\b", base) for base in bases)


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = [args for word, args in final_stage() if word == "USER"]
    assert users, "no USER in the final stage: it would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    run = " ".join(args for word, args in final_stage() if word == "RUN")
    assert "useradd" in run and users[-1].split(":")[0] in run


def test_entrypoint_binds_all_interfaces_on_the_exposed_port() -> None:
    (entry,) = [exec_form(args) for word, args in final_stage() if word == "ENTRYPOINT"]
    assert entry[0] == "juhe-mock"
    assert entry[entry.index("--host") + 1] == "0.0.0.0"
    port = entry[entry.index("--port") + 1]
    exposed = [args.split("/")[0] for word, args in final_stage() if word == "EXPOSE"]
    assert exposed == [port]


def _healthcheck_command() -> list[str]:
    (health,) = [args for word, args in final_stage() if word == "HEALTHCHECK"]
    options, _, command = health.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    return exec_form(command)


def test_healthcheck_polls_admin_health_on_loopback() -> None:
    command = _healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/__admin/health" in command[2]


@pytest.mark.parametrize("token", [None, "t0k3n"])
def test_healthcheck_command_succeeds_against_a_running_mock(token: str | None) -> None:
    code = _healthcheck_command()[2]
    env = {"PATH": "", **({"JUHE_MOCK_ADMIN_TOKEN": token} if token else {})}
    with MockServer(admin_token=token) as mock:
        probe = code.replace("http://127.0.0.1:8000", mock.url)
        done = subprocess.run([sys.executable, "-c", probe], env=env, timeout=30, check=False)
        assert done.returncode == 0
    # And it fails when nothing answers (the server is stopped now).
    failed = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, timeout=30, check=False
    )
    assert failed.returncode != 0


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "tests", "bench", ".cache"} <= ignored
    copied = " ".join(args for word, args in instructions() if word == "COPY")
    for needed in ("pyproject.toml", "README.md", "contract", "mock_server"):
        assert needed in copied and needed not in ignored
