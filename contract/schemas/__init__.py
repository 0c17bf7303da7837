"""The API's JSON Schemas (Draft 2020-12), shipped as package data behind one registry.

Five files: ``request``, ``success``, ``system_error``, ``service_error`` and ``response``
(the union of the three bodies). They carry no ``$id``: each is known by its file name
(``"success.json"``), so the relative ``$ref`` in ``response.json`` resolves the same way
in ``REGISTRY`` and for tools reading the files from disk (Schemathesis, via the OpenAPI
document). Built from the catalogue by ``contract.schemas.build`` and written by
``python -m contract.documents``.

>>> from contract import schemas
>>> schemas.validator("response").is_valid({"reason": "查无记录", "result": None,
...                                         "error_code": 234803})
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["NAMES", "REGISTRY", "SCHEMAS", "load", "uri", "validator"]

#: The schema names, in the order of the documents.
NAMES = ("request", "success", "system_error", "service_error", "response")


def uri(name: str) -> str:
    """The URI a schema is registered under in ``REGISTRY``: its file name."""
    return f"{name}.json"


def _read(name: str) -> dict[str, Any]:
    text = files(__package__).joinpath(uri(name)).read_text(encoding="utf-8")
    contents: dict[str, Any] = json.loads(text)
    return contents


#: Every schema's contents by name (read-only mapping; do not mutate the dicts).
SCHEMAS: Mapping[str, dict[str, Any]] = MappingProxyType({n: _read(n) for n in NAMES})

#: One ``referencing.Registry`` holding every schema under ``uri(name)``.
REGISTRY: Registry[Any] = Registry().with_resources(
    (uri(n), Resource.from_contents(s, default_specification=DRAFT202012))
    for n, s in SCHEMAS.items()
)


def load(name: str) -> dict[str, Any]:
    """The contents of schema ``name`` (a fresh copy); :raises KeyError: for an unknown name."""
    if name not in SCHEMAS:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(NAMES)}")
    copy: dict[str, Any] = json.loads(json.dumps(SCHEMAS[name]))
    return copy


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for schema ``name``, built once and shared; refs resolve in REGISTRY.

    :raises KeyError: for an unknown name.
    """
    if name not in SCHEMAS:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(NAMES)}")
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY)
