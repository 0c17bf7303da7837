"""deploy/: the compose file, its nginx config, Dockerfile and scenario stay consistent with
the code. Docker does not run in the suite; these checks parse everything it would use."""

from __future__ import annotations

import re
from typing import Any

import yaml

from mock_server.scenario.compile import compile_scenario
from mock_server.scenario.document import load_document
from mock_server.serve.cli import _parser
from mock_server.serve.workers import stateful_features

from ..helpers.paths import ROOT

DEPLOY = ROOT / "deploy"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose-scale.yml").read_text("utf-8"))
    return data


def test_compose_has_redis_two_replicas_and_nginx() -> None:
    services = _compose()["services"]
    assert set(services) == {"redis", "mock-1", "mock-2", "nginx"}
    assert services["mock-1"] == services["mock-2"]
    assert services["nginx"]["ports"] == ["8080:8080"]
    assert services["mock-1"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_replica_command_is_accepted_by_juhe_mock() -> None:
    mock = _compose()["services"]["mock-1"]
    command = [part.replace("${JUHE_MOCK_ADMIN_TOKEN:-change-me}", "t") for part in mock["command"]]
    args = _parser().parse_args(command)
    assert args.workers == 2 and args.host == "0.0.0.0" and args.port == 8000
    assert mock["environment"]["JUHE_MOCK_STATE"] == "redis://redis:6379/0"
    assert mock["environment"]["JUHE_MOCK_NAMESPACE"] == "demo"
    assert args.admin_token == "t"  # behind nginx the admin API needs the token


def test_demo_scenario_is_valid_and_needs_shared_state() -> None:
    mock = _compose()["services"]["mock-1"]
    mounted = next(v for v in mock["volumes"] if v.endswith(":/scenarios:ro"))
    local = DEPLOY / mounted.split(":")[0]
    path = local / "demo.yaml"
    assert "--scenarios=/scenarios/demo.yaml" in mock["command"]
    scenario = compile_scenario(load_document(path), seed=None, source=str(path))
    assert stateful_features(scenario)  # which is why the replicas share Redis


def test_nginx_balances_over_both_replicas_without_replays() -> None:
    conf = (DEPLOY / "nginx.conf").read_text("utf-8")
    assert conf.count("{") == conf.count("}")
    upstream = re.search(r"upstream juhe_mock \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = re.findall(r"server ([\w.-]+):(\d+)", upstream.group(1))
    assert servers == [("mock-1", "8000"), ("mock-2", "8000")]
    assert "proxy_pass http://juhe_mock;" in conf
    assert "proxy_next_upstream off;" in conf  # a replay would count a call twice
    assert "proxy_buffering off;" in conf  # the drip fault passes as sent
    listen = re.search(r"listen (\d+);", conf)
    assert listen is not None and listen.group(1) == "8080"


def test_dockerfile_copies_what_the_package_needs() -> None:
    text = (DEPLOY / "Dockerfile").read_text("utf-8")
    root = DEPLOY.parent
    copied = [line.split()[1:-1] for line in text.splitlines() if line.startswith("COPY ")]
    sources = [source for group in copied for source in group]
    assert {"pyproject.toml", "README.md", "contract", "mock_server"} <= set(sources)
    for source in sources:
        assert (root / source).exists(), source
    assert "'.[redis]'" in text
    assert 'ENTRYPOINT ["juhe-mock"]' in text
