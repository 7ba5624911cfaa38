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


def declared_parameters(path: str, method: str) -> list[dict[str, Any]]:
    """The parameters of ``method path`` (the path's and the operation's), references read."""
    spec = load_spec()
    item = spec["paths"][path]
    return [
        spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in item.get("parameters", []) + item[method].get("parameters", [])
    ]


def body_schema(path: str, method: str) -> dict[str, Any] | None:
    """The JSON schema of the request body of ``method path``, or None without a body."""
    body = load_spec()["paths"][path][method].get("requestBody")
    return body["content"]["application/json"]["schema"] if body else None


def body_properties(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The properties a request body's schema documents, by name, and the names it requires
    (``allOf`` branches and references read)."""
    if "$ref" in schema:
        schema = load_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    properties, required = dict(schema.get("properties", {})), set(schema.get("required", []))
    for branch in schema.get("allOf", []):
        more, needed = body_properties(branch)
        properties, required = {**properties, **more}, required | needed
    return properties, required


def pointer(*parts: str) -> str:
    """A JSON pointer to ``parts`` (``/`` and ``~`` escaped)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


#: What the document promises of a refusal of bad input (400, 413) beyond the Error schema:
#: ``details.field`` names the refused input.
NAMES_THE_FIELD: dict[str, Any] = {
    "properties": {"details": {"required": ["field"], "properties": {"field": {"type": "string"}}}}
}


def error_validator(status: int) -> Draft202012Validator:
    """Validates an error reply of any route: the ``Error`` schema, naming the field of bad
    input (:data:`NAMES_THE_FIELD`)."""
    return _validator({"$ref": SPEC_URI + "#/components/schemas/Error"}, status)


def reply_validator(path: str, method: str, status: int) -> Draft202012Validator:
    """Validates a JSON reply of ``method path`` against the schema documented for ``status``
    (and an error as :func:`error_validator` does).

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
    return _validator(schema, status)


def _validator(schema: dict[str, Any], status: int) -> Draft202012Validator:
    """A validator of ``schema`` (its references point into the document) for a reply of
    ``status``: bad input names its field."""
    if status in (400, 413):
        schema = {"allOf": [schema, NAMES_THE_FIELD]}
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    return Draft202012Validator(
        schema,
        registry=Registry().with_resource(SPEC_URI, resource),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
