"""The peers measured beside juhe-mock: Prism, Mockoon CLI, nginx (the ceiling), and
juhe-mock on Redis state. Each is a :class:`~harness.targets.Target`, or a note saying why
it is skipped (not installable here).

Prism and Mockoon serve one small OpenAPI document whose only operation answers the same
success body as WireMock and the stub (its example); nginx answers it with ``return 200``
from memory, the most a server on this machine can do for one tiny answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from contract import PATH

from .answer import STATIC_BODY, static_body_bytes
from .procs import ServerProcess
from .targets import Target

#: npm packages installed into the cache on first use (with WireMock's).
PACKAGES = {"prism": "@stoplight/prism-cli@5", "mockoon": "@mockoon/cli@9"}
_BINS = {"prism": "prism", "mockoon": "mockoon-cli"}


class Skipped(Exception):
    """A peer that cannot run here; the message goes into the report."""


def openapi_document(work: Path) -> Path:
    """One GET operation on the API path whose example is the static success body."""
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "juhe bench peer", "version": "1"},
        "paths": {
            PATH: {
                "get": {
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                        for n in ("key", "mobile")
                    ],
                    "responses": {
                        "200": {
                            "description": "success",
                            "content": {
                                "application/json": {
                                    # Prism answers the media type's example; Mockoon
                                    # ignores it and builds its body from the schema,
                                    # whose example it returns as it is.
                                    "example": STATIC_BODY,
                                    "schema": {"type": "object", "example": STATIC_BODY},
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    path = work / "peer-openapi.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _npm_bin(cache: Path, peer: str) -> Path:
    binary = cache / "node_modules" / ".bin" / _BINS[peer]
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise Skipped(f"{peer} skipped: no `node`/`npm` on PATH to fetch {PACKAGES[peer]}")
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(cache), PACKAGES[peer], "--no-audit", "--no-fund"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0 or not binary.exists():
        raise Skipped(
            f"{peer} skipped: `npm install {PACKAGES[peer]}` failed: {done.stderr[-300:]}"
        )
    return binary


def _version(cache: Path, package: str) -> str:
    name = package.rsplit("@", 1)[0]
    manifest = cache / "node_modules" / name / "package.json"
    try:
        return str(json.loads(manifest.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def prism_target(cache: Path, work: Path) -> Target:
    binary = _npm_bin(cache, "prism")
    spec = openapi_document(work)

    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = [str(binary), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)]
        return ServerProcess("prism", argv, port, log_dir, env=dict(os.environ))

    version = _version(cache, PACKAGES["prism"])
    return Target("prism", make, f"Prism {version} (`prism mock`), static example")


def mockoon_target(cache: Path, work: Path) -> Target:
    binary = _npm_bin(cache, "mockoon")
    spec = openapi_document(work)

    def make(port: int, log_dir: Path) -> ServerProcess:
        argv = [str(binary), "start", "--data", str(spec), "--port", str(port)]
        argv += ["--disable-log-to-file"]
        return ServerProcess("mockoon", argv, port, log_dir, env=dict(os.environ))

    version = _version(cache, PACKAGES["mockoon"])
    return Target("mockoon", make, f"Mockoon CLI {version}, the OpenAPI document imported")


def nginx_target(work: Path) -> Target:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        raise Skipped("nginx skipped: not installed (apt-get install nginx)")
    body = static_body_bytes().decode("utf-8").replace("'", "\\'")

    def make(port: int, log_dir: Path) -> ServerProcess:
        prefix = work / f"nginx-{port}"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(
            "worker_processes 1; daemon off; pid nginx.pid; error_log logs/error.log;\n"
            + ("user root;\n" if os.geteuid() == 0 else "")
            + "events { worker_connections 4096; }\n"
            "http { access_log off; keepalive_requests 1000000;\n"
            f"  server {{ listen 127.0.0.1:{port};\n"
            "    location / { default_type 'application/json;charset=utf-8';\n"
            f"      return 200 '{body}'; }} }} }}\n",
            encoding="utf-8",
        )
        argv = [nginx, "-p", str(prefix), "-c", str(conf)]
        return ServerProcess("nginx", argv, port, log_dir, env=dict(os.environ))

    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    return Target("nginx", make, f"{version}, `return 200` of the static body: the ceiling")
