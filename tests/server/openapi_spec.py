"""The OpenAPI document as data, and JSON Schema validators for its documented replies."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import jupyter_nbtools

SPEC_PATH = Path(jupyter_nbtools.__file__).parent / "openapi.yaml"
SPEC_URI = "urn:nbtools-openapi"


@functools.cache
def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def pointer(*parts: str) -> str:
    """A JSON pointer to ``parts`` (``/`` and ``~`` escaped)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def reply_validator(path: str, method: str, status: int) -> Draft202012Validator:
    """Validates a JSON reply of ``method path`` against the schema documented for ``status``.

    A success status must be documented as such; an error may fall to the ``default`` reply.
    """
    spec = load_spec()
    responses = spec["paths"][path][method.lower()]["responses"]
    key = str(status)
    if key not in responses:
        assert status >= 400, f"{method} {path} does not document the {status} it returned"
        key = "default"
    response = responses[key]
    where = (
        response["$ref"]
        if "$ref" in response
        else "#" + pointer("paths", path, method.lower(), "responses", key)
    )
    schema = {"$ref": SPEC_URI + where + pointer("content", "application/json", "schema")}
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Draft202012Validator(
        schema,
        registry=Registry().with_resource(SPEC_URI, resource),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
