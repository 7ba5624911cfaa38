"""The OpenAPI document: valid, in step with the routes the server serves, and served."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from jupyter_server.utils import url_path_join
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.handlers.base import MAX_ID, MAX_INTEGER, NbtoolsHandler
from jupyter_nbtools.handlers.bodies import fields_taken
from jupyter_nbtools.routes import API_PREFIX
from tests.server.openapi_spec import (
    SPEC_PATH,
    body_properties,
    body_schema,
    declared_parameters,
    load_spec,
)

METHODS = ("get", "post", "put", "patch", "delete")
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|\([^)]*\)")


def served_rules(router: Any) -> Iterator[tuple[str, type]]:
    """(regex, handler class) of every URL rule under a tornado router, nested ones too."""
    for rule in router.rules:
        if hasattr(rule.target, "rules"):
            yield from served_rules(rule.target)
        elif hasattr(rule.matcher, "regex"):
            yield rule.matcher.regex.pattern, rule.target


def implemented(handler: type) -> list[str]:
    """The HTTP methods ``handler`` (or an nbtools base of it) implements itself."""
    return [m for m in METHODS if getattr(handler, m) is not getattr(NbtoolsHandler, m)]


def template(pattern: str, handler: type, method: str) -> str:
    """``/jobs/(?P<job_id>[^/]+)/run$`` as OpenAPI's ``/jobs/{job_id}/run``.

    Named groups keep their names; an unnamed group takes the name of the method's
    positional argument it is passed as.
    """
    arguments = iter(list(inspect.signature(getattr(handler, method)).parameters)[1:])
    path = GROUP.sub(lambda m: "{" + (m.group(1) or next(arguments)) + "}", pattern)
    path = re.sub(r"\\(.)", r"\1", path.removesuffix("$"))
    assert not re.search(r"[()\[\]*+?^$|\\]", path), f"cannot template {pattern!r}"
    return path


def served_handlers(serverapp: Any) -> dict[tuple[str, str], type]:
    """(OpenAPI path, method) → the handler class serving it."""
    handlers = {}
    for regex, handler in served_rules(serverapp.web_app.default_router):
        if isinstance(handler, type) and issubclass(handler, NbtoolsHandler):
            relative = regex.split(API_PREFIX, 1)[1]
            handlers |= {(template(relative, handler, m), m): handler for m in implemented(handler)}
    return handlers


def served_operations(serverapp: Any) -> set[tuple[str, str]]:
    return set(served_handlers(serverapp))


def documented_operations() -> set[tuple[str, str]]:
    paths = load_spec()["paths"]
    return {(path, method) for path, item in paths.items() for method in METHODS if method in item}


def test_the_document_is_valid_openapi_3_1() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_no_value_is_lost_to_yaml_syntax() -> None:
    """A comma or colon in an unquoted flow-style value turns its tail into a key of null."""

    def nulls(node: Any, where: str) -> Iterator[str]:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if value is None:
                yield f"{where}/{key}"
            elif isinstance(value, (dict, list)):
                yield from nulls(value, f"{where}/{key}")

    assert list(nulls(load_spec(), "")) == []


def test_every_served_operation_is_documented_and_nothing_else(jp_serverapp: Any) -> None:
    served = served_operations(jp_serverapp)
    assert ("/versions/{version_id}/restore", "post") in served  # an unnamed group
    assert ("/runs/{run_id}/download/{kind}", "get") in served
    documented = documented_operations()
    assert sorted(served - documented) == [], "served but not documented"
    assert sorted(documented - served) == [], "documented but not served"


def test_every_operation_documents_its_errors_and_has_a_unique_id() -> None:
    operations = [
        item[method]
        for item in load_spec()["paths"].values()
        for method in METHODS
        if method in item
    ]
    error = {"$ref": "#/components/responses/Error"}
    assert [op["operationId"] for op in operations if op["responses"].get("default") != error] == []
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))


def test_path_parameters_match_the_templates() -> None:
    """... and an integer one, an id, documents what ``path_id`` takes: 1 to 2^31 - 1."""
    for path, item in load_spec()["paths"].items():
        for method in METHODS:
            if method in item:
                parameters = [p for p in declared_parameters(path, method) if p["in"] == "path"]
                names = {p["name"] for p in parameters}
                assert names == set(re.findall(r"\{(\w+)\}", path)), (path, method)
                for parameter in (p for p in parameters if p["schema"]["type"] == "integer"):
                    bounds = (
                        parameter["schema"].get("minimum"),
                        parameter["schema"].get("maximum"),
                    )
                    assert bounds == (1, MAX_ID), (path, method, parameter["name"])


def test_the_description_gives_the_id_range_the_server_takes() -> None:
    """The prose a client reads (info.description) gives the range ``path_id`` takes (it said
    2^63 - 1 where every id past 2^31 - 1 is refused), and the largest whole number of a
    schema that gives none."""
    description = " ".join(load_spec()["info"]["description"].split())
    ids = re.search(r"an id that is not an ASCII whole number from 1 to 2\^(\d+)-1", description)
    assert ids is not None
    assert 2 ** int(ids.group(1)) - 1 == MAX_ID
    assert f"2^31-1, {MAX_ID}," in description
    others = re.search(r"at most 2\^(\d+)-1 where it gives none", description)
    assert others is not None
    assert 2 ** int(others.group(1)) - 1 == MAX_INTEGER


def documented_fields(schema: dict[str, Any]) -> set[str] | None:
    """The fields a request body's schema documents (``allOf`` and references read), or None
    when it leaves them open (neither ``additionalProperties`` nor ``unevaluatedProperties``
    false)."""
    closed = False in (schema.get("additionalProperties"), schema.get("unevaluatedProperties"))
    return set(body_properties(schema)[0]) if closed else None


def test_each_body_documents_the_fields_its_handler_takes(jp_serverapp: Any) -> None:
    """Documented fields and the handler's ``@body_fields`` agree both ways (an operation
    without a body takes none), and only a body passed on as it is leaves them open."""
    checked = 0
    for (path, method), handler in served_handlers(jp_serverapp).items():
        if method in ("post", "put", "patch"):
            schema = body_schema(path, method) or {"additionalProperties": False}
            taken = fields_taken(getattr(handler, method))
            assert documented_fields(schema) == taken, (method, path)
            checked += 1
    assert checked > 20


async def test_the_document_is_served(jp_fetch: Any) -> None:
    response = await jp_fetch("nbtools", "api", "openapi.yaml")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    assert response.body == SPEC_PATH.read_bytes()
    assert yaml.safe_load(response.body)["paths"]["/openapi.yaml"]["get"]


async def test_the_document_refuses_a_wrong_token(
    http_server_client: Any, jp_serverapp: Any, jp_base_url: str
) -> None:
    """(Calls without a token are refused by ``test_security`` for every route.)"""
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(
            url_path_join(jp_base_url, "nbtools/api/openapi.yaml"),
            headers={"Authorization": "token wrong"},
        )
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["error"] == "HTTPError"
