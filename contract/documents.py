"""The machine-readable documents, built from the catalogue: JSON Schemas, examples, OpenAPI.

The files shipped in ``contract/schemas/*.json`` (built by ``contract.schemas.build``),
``contract/openapi.yaml`` and its single-file bundle ``contract/openapi.bundled.json``, the
derived ``fixtures/`` and the README's codes tables are the output of this module,
committed so that other tools read them without importing Python; a test proves the
committed files equal what the catalogue builds today, so the documents and the catalogue
can never disagree. After changing the catalogue, rewrite them with::

    python -m contract.documents
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .bodies import error_body, success_body
from .codes import BASE_URL, ERROR_CODES, PATH, TENURE_CODES
from .magic import MAGIC_NUMBERS
from .media import FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, JSONP_CONTENT_TYPE
from .schemas.build import SCHEMA_NAMES, build_schemas, dump_schema

__all__ = [
    "BUNDLED_OPENAPI",
    "CODES_BEGIN",
    "CODES_END",
    "EXAMPLE_ORDERID",
    "MAGIC_BEGIN",
    "MAGIC_END",
    "SCHEMA_NAMES",
    "SECURITY_SCHEME",
    "build_bundled_openapi",
    "build_codes_markdown",
    "build_examples",
    "build_fixtures",
    "build_magic_table",
    "build_openapi",
    "build_schemas",
    "dump_bundled_openapi",
    "dump_openapi",
    "dump_schema",
    "magic_table_markdown",
    "update_readme",
    "write",
    "write_fixtures",
]

#: The vendor document's own orderid, used in every success example.
EXAMPLE_ORDERID = "J201901141703399055"


def build_examples() -> dict[str, dict[str, Any]]:
    """One example body per code: ``tenure_<code>`` then ``error_<code>``, with a summary."""
    examples: dict[str, dict[str, Any]] = {}
    for t in TENURE_CODES.values():
        examples[f"tenure_{t.code}"] = {
            "summary": f"tenure {t.code}: {t.english}",
            "value": success_body(t.code, EXAMPLE_ORDERID),
        }
    for e in ERROR_CODES.values():
        examples[f"error_{e.code}"] = {
            "summary": f"{e.code} {e.name} ({e.kind.value} error): {e.english}",
            "value": error_body(e.code),
        }
    return examples


def _parameter(name: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": schema["description"],
        "schema": {"$ref": f"schemas/request.json#/properties/{name}"},
    }


def _answer() -> dict[str, Any]:
    examples = {name: {"$ref": f"#/components/examples/{name}"} for name in build_examples()}
    return {
        "description": (
            "Every API-level answer, errors included, is HTTP 200: parse the body. "
            "Only error_code 0 is billed."
        ),
        "content": {
            JSON_CONTENT_TYPE: {"schema": {"$ref": "schemas/response.json"}, "examples": examples},
            JSONP_CONTENT_TYPE: {
                "schema": {"type": "string"},
                "example": f"cb({json.dumps(error_body(234803), ensure_ascii=False)})",
            },
        },
    }


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the endpoint, referencing the schema files."""
    request_schema = build_schemas()["request"]
    request = request_schema["properties"]
    required = set(request_schema["required"])
    parameters = [_parameter(n, s, n in required) for n, s in request.items()]
    error_lines = "\n".join(
        f"| {e.code} | {e.kind.value} | {e.wire_reason()} |" for e in ERROR_CODES.values()
    )
    description = (
        "Given the sha256 of a China Unicom mobile number, the tenure on the network "
        'as a code ("1"-"5", "99"), or an error. Only error_code 0 is billed.\n\n'
        "| error_code | kind | reason |\n|---|---|---|\n" + error_lines + "\n"
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Juhe 在网时长 sha256 (China Unicom)",
            "version": "2025-04-26",
            "description": description,
        },
        "servers": [{"url": BASE_URL}],  # HTTPS: the key never travels in clear
        "paths": {
            PATH: {
                "get": {
                    "operationId": "queryTenure",
                    "summary": "Tenure of a hashed China Unicom number (query parameters)",
                    "parameters": parameters,
                    "responses": {"200": {"$ref": "#/components/responses/Answer"}},
                },
                "post": {
                    "operationId": "queryTenureForm",
                    "summary": "Tenure of a hashed China Unicom number (form body)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            FORM_CONTENT_TYPE: {"schema": {"$ref": "schemas/request.json"}}
                        },
                    },
                    "responses": {"200": {"$ref": "#/components/responses/Answer"}},
                },
            }
        },
        "components": {
            "responses": {"Answer": _answer()},
            "examples": build_examples(),
            "securitySchemes": {SECURITY_SCHEME: _key_scheme()},
        },
    }


#: The name of the key's entry in ``components.securitySchemes``.
SECURITY_SCHEME = "juheKey"


def _key_scheme() -> dict[str, Any]:
    # Described, not required (no top-level ``security``): the key is also an ordinary
    # parameter of both operations, which is how the API reads it, and a tool that applied
    # the scheme as well would send it twice.
    return {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": (
            "The API key: a query parameter for GET, a form field (same name) for POST. "
            "An absent, empty or wrong key is answered HTTP 200 with error_code 10001."
        ),
    }


def _inline_refs(value: Any, schema: str | None) -> Any:
    """``value`` with every file ``$ref`` turned into a pointer into this document."""
    if isinstance(value, list):
        return [_inline_refs(v, schema) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for name, item in value.items():
        if name == "$ref" and isinstance(item, str):
            target, _, fragment = item.partition("#")
            if target.endswith(".json"):
                stem = target.rpartition("/")[2].removesuffix(".json")
                item = f"#/components/schemas/{stem}{fragment}"
            elif not target and schema is not None and not item.startswith("#/components"):
                item = f"#/components/schemas/{schema}{fragment}"
        elif name in ("$schema", "$id"):
            continue  # the document's dialect (OpenAPI 3.1: JSON Schema 2020-12) applies
        out[name] = _inline_refs(item, schema)
    return out


def build_bundled_openapi() -> dict[str, Any]:
    """The OpenAPI document in one file: every schema under ``components.schemas`` and
    every ``$ref`` a pointer into the document, for tools that cannot follow a relative
    ``$ref`` (Swagger UI, Postman, Prism, a copy on its own)."""
    document = _inline_refs(build_openapi(), None)
    schemas = {name: _inline_refs(s, name) for name, s in build_schemas().items()}
    document["components"] = {"schemas": schemas, **document["components"]}
    return dict(document)


def dump_bundled_openapi(document: dict[str, Any]) -> str:
    """The committed text of ``openapi.bundled.json``."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the document reads like hand-written YAML."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def dump_openapi(document: dict[str, Any]) -> str:
    """The committed text of ``openapi.yaml``."""
    header = "# Generated from the catalogue by `python -m contract.documents`; do not edit.\n"
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + body


def build_magic_table() -> list[dict[str, Any]]:
    """Every magic number with its sha256 and the answer the mock gives for it."""
    rows = []
    for m in MAGIC_NUMBERS.values():
        kind = "success" if m.tenure is not None else ERROR_CODES[m.error_code].kind.value
        rows.append(
            {
                "phone": m.phone,
                "sha256": m.sha256,
                "error_code": m.error_code,
                "tenure": m.tenure,
                "kind": kind,
            }
        )
    return rows


def build_fixtures() -> dict[str, str]:
    """The repository's derived fixture files by name, as committed in ``fixtures/``."""
    return {
        "magic_numbers.json": dump_schema({"magic_numbers": build_magic_table()}),
        "examples.json": dump_schema(build_examples()),
    }


CODES_BEGIN = "<!-- generated: codes (python -m contract.documents) -->"
CODES_END = "<!-- /generated: codes -->"


def _months(above: int | None, up_to: int | None) -> str:
    if above is None:
        return "—"
    return f"({above}, {up_to}]" if up_to is not None else f"({above}, +∞)"


def build_codes_markdown() -> str:
    """The README's codes tables: tenure codes with month ranges, then every error."""
    lines = [
        "| `result.code` | months on the network | document's words | meaning |",
        "|---|---|---|---|",
    ]
    for t in TENURE_CODES.values():
        months = _months(t.months_above, t.months_up_to)
        lines.append(f"| `{t.code}` | {months} | {t.words} | {t.english} |")
    lines += [
        "",
        "| `error_code` | name | kind | `reason` on the wire | `resultcode` | retry |",
        "|---|---|---|---|---|---|",
    ]
    for e in ERROR_CODES.values():
        resultcode = f"`{e.resultcode}`" if e.resultcode is not None else "—"
        lines.append(
            f"| {e.code} | `{e.name}` | {e.kind.value} | {e.wire_reason()} | {resultcode} "
            f"| {e.retry.value} |"
        )
    return "\n".join(lines) + "\n"


MAGIC_BEGIN = "<!-- generated: magic (juhe-mock --print-magic-table) -->"
MAGIC_END = "<!-- /generated: magic -->"


def magic_table_markdown() -> str:
    """The README's table of magic numbers: number, sha256 prefix, and the answer."""
    lines = ["| number | sha256 starts | answer |", "|---|---|---|"]
    for magic in MAGIC_NUMBERS.values():
        if magic.tenure is not None:
            english = TENURE_CODES[magic.tenure].english
            answer = f"success, `result.code` `{magic.tenure}` ({english})"
        else:
            entry = ERROR_CODES[magic.error_code]
            answer = f"`{magic.error_code}` {entry.wire_reason()}"
        lines.append(f"| `{magic.phone}` | `{magic.sha256[:12]}…` | {answer} |")
    return "\n".join(lines) + "\n"


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + block + text[stop:]


def update_readme(path: Path) -> bool:
    """Replace the generated codes and magic blocks in ``path``; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    updated = _replace_block(text, CODES_BEGIN, CODES_END, build_codes_markdown())
    updated = _replace_block(updated, MAGIC_BEGIN, MAGIC_END, magic_table_markdown())
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True


def write(root: Path | None = None) -> list[Path]:
    """Write every schema file, ``openapi.yaml`` and ``openapi.bundled.json`` under ``root``
    (the package by default)."""
    root = root or Path(__file__).parent
    written = []
    for name, schema in build_schemas().items():
        path = root / "schemas" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_schema(schema), encoding="utf-8")
        written.append(path)
    path = root / "openapi.yaml"
    path.write_text(dump_openapi(build_openapi()), encoding="utf-8")
    written.append(path)
    path = root / BUNDLED_OPENAPI
    path.write_text(dump_bundled_openapi(build_bundled_openapi()), encoding="utf-8")
    written.append(path)
    return written


#: The single-file OpenAPI beside the split one.
BUNDLED_OPENAPI = "openapi.bundled.json"


def write_fixtures(directory: Path) -> list[Path]:
    """Write the derived fixture files (see ``build_fixtures``) into ``directory``."""
    written = []
    for name, text in build_fixtures().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    paths = write()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "fixtures").is_dir():  # a repository checkout, not an installed package
        paths += write_fixtures(checkout / "fixtures")
        if update_readme(checkout / "README.md"):
            paths.append(checkout / "README.md")
    for p in paths:
        print(p)
