"""What a start costs: the built-in default needs no schema check at start (a test does it
here), and answering plain API requests imports neither Flask nor jsonschema."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import pytest
import yaml

from mock_server.scenario.document import validate_document

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
heavy = sorted(name for name in ("flask", "werkzeug", "jsonschema", "hypothesis")
               if name in sys.modules)
print(",".join(heavy))
"""


def test_the_built_in_default_passes_the_schema() -> None:
    text = resources.files("mock_server.scenario").joinpath("default.yaml").read_text("utf-8")
    compiled = validate_document(yaml.safe_load(text), "default.yaml")  # raises if invalid
    assert compiled.document


@pytest.mark.subprocess
def test_plain_answers_import_neither_flask_nor_jsonschema() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at start: {done.stdout.strip()}"
