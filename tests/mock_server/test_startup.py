"""What a start costs: the built-in default needs no schema check at start (a test does it
here) and is read as JSON, and answering plain API requests imports neither Flask nor
jsonschema nor PyYAML."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import pytest
import yaml

from mock_server.scenario.document import default_compiled, validate_document
from mock_server.serve.doctables import default_json

PROBE = r"""
import asyncio, sys
from mock_server.web.door_async import MockAsgi
from mock_server.web.setup import build_runtime
from contract import PATH, magic_number, mobile_sha256

app = MockAsgi(build_runtime({"seed": 0}))
sent = []
async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}
async def send(message):
    sent.append(message)
query = f"key=k&mobile={mobile_sha256(magic_number('3'))}".encode()
scope = {"type": "http", "method": "GET", "path": PATH, "query_string": query,
         "headers": [], "client": ("127.0.0.1", "1"), "server": ("127.0.0.1", "80")}
asyncio.run(app(scope, receive, send))
assert sent[0]["status"] == 200 and b'"error_code":0' in sent[1]["body"], sent
heavy = sorted(name for name in ("flask", "werkzeug", "jsonschema", "hypothesis", "yaml")
               if name in sys.modules)
print(",".join(heavy))
"""


def test_the_built_in_default_passes_the_schema() -> None:
    text = resources.files("mock_server.scenario").joinpath("default.yaml").read_text("utf-8")
    compiled = validate_document(yaml.safe_load(text), "default.yaml")  # raises if invalid
    assert compiled.document


def test_the_default_a_start_reads_is_the_yaml_file_as_json() -> None:
    folder = resources.files("mock_server.scenario")
    twin = folder.joinpath("default.json").read_text("utf-8")
    made = default_json(folder.joinpath("default.yaml").read_text("utf-8"))
    assert twin == made, "python -m mock_server.serve.doctables"
    assert dict(default_compiled().document) == yaml.safe_load(made)


@pytest.mark.subprocess
def test_plain_answers_import_neither_flask_nor_jsonschema() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at start: {done.stdout.strip()}"
