"""The shipped named scenarios, and what ``juhe-mock`` does without serving: ``validate``,
``--list-scenarios``, ``--version`` (and ``--version`` on the other two CLIs)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from contract import magic_number
from mock_server import ConfigError, MockServer
from mock_server.scenario import library
from mock_server.serve.cli import main

from ...helpers.answers import fetch, query
from ...helpers.paths import ROOT, SCENARIOS
from ...helpers.served import ServedMock

VERSION = metadata.version("juhe-tenure-toolkit")


def test_the_names_are_the_shipped_files() -> None:
    assert library.names() == tuple(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
    assert len(library.names()) == 8
    # One home: fixtures/scenarios is a link to the package's copies, not a second copy.
    link = ROOT / "fixtures" / "scenarios"
    assert link.is_symlink() and link.resolve() == SCENARIOS.resolve()


@pytest.mark.subprocess
def test_a_bare_name_is_a_shipped_scenario_everywhere_a_path_is(tmp_path: Path) -> None:
    with MockServer(scenarios="maintenance") as mock:
        assert fetch(mock, query(magic_number("1")))["error_code"] == 10020
        mock.configure("quota-exhausted")
        assert fetch(mock, query(magic_number("1")))["error_code"] == 10012
    with ServedMock("--scenarios", "maintenance") as served:
        assert fetch(served.url, query(magic_number("1")))["error_code"] == 10020


def test_a_file_of_that_name_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("maintenance").write_text("description: my own file\n", encoding="utf-8")
    with MockServer(scenarios="maintenance") as mock:
        assert mock.runtime.document["description"] == "my own file"


def test_an_unknown_name_says_where_to_look() -> None:
    with pytest.raises(ConfigError, match=r"no-such: \$: no such file, nor a shipped scenario"):
        MockServer(scenarios="no-such")
    with pytest.raises(ConfigError, match=r"no-such\.yaml: \$: no such file$"):
        MockServer(scenarios="no-such.yaml")  # a path, not a name: no hint


def test_list_scenarios_prints_one_line_each_from_the_descriptions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--list-scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(library.names())
    for line, name in zip(lines, library.names(), strict=True):
        text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
        description = yaml.safe_load(text)["description"]
        assert line.endswith("  " + description) and description


@pytest.mark.parametrize("name", library.names())
def test_each_shipped_scenario_is_valid(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", name]) == 0
    assert capsys.readouterr().out == f"{name}: valid\n"


def test_validate_names_every_bad_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"keys": {"quota": 3}}), encoding="utf-8")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("rules:\n  - then: {error: 1}\n", encoding="utf-8")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"seed": "x"}', encoding="utf-8")
    assert main(["validate", str(good), str(bad_yaml), str(bad_json), "absent.yaml"]) == 2
    out, err = capsys.readouterr()
    assert out == f"{good}: valid\n"
    assert err.splitlines() == [
        f"juhe-mock: {bad_yaml}: $.rules[0].then.error: 1 is not one of "
        "[234801, 234802, 234803, 234804, 10001, 10002, 10003, 10004, 10005, 10007, 10008, "
        "10009, 10011, 10012, 10013, 10014, 10020, 10021]",
        f"juhe-mock: {bad_json}: $.seed: 'x' is not of type 'integer'",
        "juhe-mock: absent.yaml: $: no such file",
    ]
    assert main(["validate", "-q", str(good)]) == 0
    assert capsys.readouterr().out == ""


def test_validate_without_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate"])
    assert exited.value.code == 2
    assert "FILE" in capsys.readouterr().err


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "command",
    [["juhe-mock"], ["juhe-mock", "validate"], ["juhe-contract"], ["juhe-tenure"]],
    ids=" ".join,
)
def test_version_comes_from_the_package_metadata(command: list[str]) -> None:
    done = subprocess.run(
        [_bin(command[0]), *command[1:], "--version"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{command[0]} {VERSION} (juhe-tenure-toolkit)\n"


def test_version_matches_pyproject() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{VERSION}"\n' in text
