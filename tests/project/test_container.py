"""The Dockerfile, read instruction by instruction (docker itself does not run here).

What can be checked without docker: a slim Python base, a non-root USER in the final stage,
a HEALTHCHECK on ``/__admin/health`` whose command really works against a running mock,
``--host 0.0.0.0`` and the EXPOSEd port in the ENTRYPOINT, and a .dockerignore that keeps
the build context small. Building and running the image happens in CI (ci.yml).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server import MockServer
from mock_server.serve.healthcheck import arguments, health_url, main

from ..helpers.paths import ROOT

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


def _entrypoint() -> list[str]:
    (entry,) = [exec_form(args) for word, args in final_stage() if word == "ENTRYPOINT"]
    return entry


def test_healthcheck_is_the_module_that_follows_the_servers_arguments() -> None:
    assert _healthcheck_command() == ["python", "-m", "mock_server.serve.healthcheck"]


def test_healthcheck_polls_admin_health_on_loopback() -> None:
    # The ENTRYPOINT alone: the port it sets, on loopback (it binds every address).
    url, token = health_url(arguments(_entrypoint()), {})
    assert (url, token) == ("http://127.0.0.1:8000/__admin/health", None)


@pytest.mark.parametrize(
    ("cmdline", "environ", "expected"),
    [
        # `docker run juhe-mock --port 8010`: the later --port wins, as in the server.
        (["juhe-mock", "--host", "0.0.0.0", "--port", "8000", "--port", "8010"], {}, 8010),
        # A console script started through its shebang shows the interpreter first.
        (["/usr/local/bin/python", "/usr/local/bin/juhe-mock", "--port=8020"], {}, 8020),
        (["python", "-m", "mock_server", "--seed", "1"], {"JUHE_MOCK_PORT": "8030"}, 8030),
        (["juhe-mock", "--port", "8040"], {"JUHE_MOCK_PORT": "8030"}, 8040),
    ],
)
def test_healthcheck_follows_the_port_the_server_was_given(
    cmdline: list[str], environ: dict[str, str], expected: int
) -> None:
    url, _ = health_url(arguments(cmdline), environ)
    assert url == f"http://127.0.0.1:{expected}/__admin/health"


def _cmdline_file(tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "cmdline"
    path.write_bytes(b"\0".join(a.encode() for a in ("/usr/local/bin/juhe-mock", *args)) + b"\0")
    return path


@pytest.mark.subprocess
@pytest.mark.parametrize("how", [None, "argument", "environment"])
def test_healthcheck_command_succeeds_against_a_running_mock(
    tmp_path: Path, how: str | None
) -> None:
    token = "t0k3n-health" if how else None
    environ = {"JUHE_MOCK_ADMIN_TOKEN": token} if how == "environment" and token else {}
    with MockServer(admin_token=token) as mock:
        args = [*_entrypoint()[1:], "--port", str(mock.port)]
        if how == "argument" and token:
            args += ["--admin-token", token]
        cmdline = _cmdline_file(tmp_path, *args)
        assert main(str(cmdline), environ) == 0
        # As the container runs it: a process of its own, `python -m`-style.
        probe = "import sys; from mock_server.serve.healthcheck import main; "
        probe += "sys.exit(main(sys.argv[1]))"
        env = {**os.environ, **environ}
        env.pop("JUHE_MOCK_PORT", None)
        done = subprocess.run(
            [sys.executable, "-c", probe, str(cmdline)], env=env, timeout=60, check=False
        )
        assert done.returncode == 0
        if token:  # without the token the admin API refuses, and the check fails
            assert main(str(_cmdline_file(tmp_path, "--port", str(mock.port))), {}) == 1
    # And it fails when nothing answers (the server is stopped now), saying only why.
    assert main(str(cmdline), environ) == 1
    assert main(str(tmp_path / "absent"), {}) == 1


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
