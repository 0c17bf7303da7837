"""WireMock from the npm package ``wiremock`` (it ships the standalone jar), in a cache folder.

Installed on first use with ``npm install --prefix bench/.cache wiremock@3.13``; run with
``java -jar`` in its default configuration (request journal on), with one stub mapping in
its root directory that answers the same success body as the mock for the same endpoint.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from contract import PATH

from .answer import STATIC_BODY

VERSION_SPEC = "wiremock@3.13"


class Unavailable(Exception):
    """WireMock cannot run here; the message says why (it goes into the report)."""


def jar_path(cache: Path) -> Path:
    """The standalone jar, installing the npm package into ``cache`` if needed."""
    found = sorted((cache / "node_modules" / "wiremock").glob("build/wiremock-standalone-*.jar"))
    if found:
        return found[-1]
    if shutil.which("java") is None:
        raise Unavailable("WireMock skipped: no `java` on PATH")
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("WireMock skipped: no `npm` on PATH to fetch the `wiremock` package")
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(cache), VERSION_SPEC, "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = sorted((cache / "node_modules" / "wiremock").glob("build/wiremock-standalone-*.jar"))
    if done.returncode != 0 or not found:
        raise Unavailable(f"WireMock skipped: `npm install {VERSION_SPEC}` failed: {done.stderr}")
    return found[-1]


def version_of(jar: Path) -> str:
    """``3.13.2`` from ``wiremock-standalone-3.13.2.jar``."""
    return jar.stem.removeprefix("wiremock-standalone-")


def java_version() -> str:
    java = shutil.which("java")
    if java is None:
        return "absent"
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    return (out.stderr or out.stdout).splitlines()[0].strip()


def write_root(root: Path) -> Path:
    """A WireMock root directory with the one mapping; returns it."""
    mappings = root / "mappings"
    mappings.mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(exist_ok=True)
    mapping = {
        "request": {"urlPath": PATH, "method": "ANY"},
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json;charset=utf-8"},
            "body": json.dumps(STATIC_BODY, ensure_ascii=False, separators=(",", ":")),
        },
    }
    (mappings / "query.json").write_text(json.dumps(mapping, ensure_ascii=False), "utf-8")
    return root


def argv(jar: Path, root: Path, port: int) -> list[str]:
    java = shutil.which("java") or "java"
    # Loopback only, like every other server here; everything else stays WireMock's default.
    return [
        java,
        "-jar",
        str(jar),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root),
        "--disable-banner",
    ]
