"""The OpenAPI document: valid, in step with the routes the server serves, and served."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jupyter_server.utils import url_path_join
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.handlers.base import MAX_ID, MAX_INTEGER, NbtoolsHandler
from jupyter_nbtools.handlers.bodies import fields_taken
from jupyter_nbtools.routes import API_PREFIX
from nbtools.jobs.definitions import create_job
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.openapi_spec import SPEC_PATH, load_spec

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


def declared_parameters(path: str, method: str) -> list[dict[str, Any]]:
    """The parameters of ``method path`` (the path's and the operation's), references read."""
    spec = load_spec()
    item = spec["paths"][path]
    return [
        spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in item.get("parameters", []) + item[method].get("parameters", [])
    ]


def test_path_parameters_match_the_templates() -> None:
    """... and an integer one, an id, documents what ``path_id`` takes: 1 to 2^63 - 1."""
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


def documented_fields(schema: dict[str, Any]) -> set[str] | None:
    """The fields a request body's schema documents (``allOf`` and references read), or None
    when it leaves them open (neither ``additionalProperties`` nor ``unevaluatedProperties``
    false)."""
    spec = load_spec()

    def properties(node: dict[str, Any]) -> set[str]:
        if "$ref" in node:
            node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        names = set(node.get("properties", {}))
        return names.union(*(properties(branch) for branch in node.get("allOf", [])))

    closed = False in (schema.get("additionalProperties"), schema.get("unevaluatedProperties"))
    return properties(schema) if closed else None


def test_each_body_documents_the_fields_its_handler_takes(jp_serverapp: Any) -> None:
    """Documented fields and the handler's ``@body_fields`` agree both ways (an operation
    without a body takes none), and only a body passed on as it is leaves them open."""
    spec = load_spec()
    checked = 0
    for (path, method), handler in served_handlers(jp_serverapp).items():
        if method in ("post", "put", "patch"):
            body = spec["paths"][path][method].get("requestBody")
            schema = (
                body["content"]["application/json"]["schema"]
                if body
                else {"additionalProperties": False}
            )
            taken = fields_taken(getattr(handler, method))
            assert documented_fields(schema) == taken, (method, path)
            checked += 1
    assert checked > 20


#: Values of the other arguments routes require, so that the argument probed is the one read.
REQUIRED_ARGUMENTS = {"path": "nb.ipynb", "q": "sales", "cron": "daily"}


async def test_integer_query_arguments_have_the_documented_bounds(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    """Every integer query argument of every GET: its documented minimum and maximum (none: 0
    and 2^63 - 1) are answered, and one beyond them is a 400 naming it."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    job = str(create_job(project, {"notebook_path": "nb.ipynb"}).id)
    probed, mismatches = 0, []
    for path, item in load_spec()["paths"].items():
        if "get" not in item:
            continue
        parameters = declared_parameters(path, "get")
        query = [p for p in parameters if p["in"] == "query"]
        numbers = [p for p in query if p["schema"].get("type") == "integer"]
        if not numbers:
            continue
        url = path.format(**{p["name"]: job for p in parameters if p["in"] == "path"})
        required = {p["name"]: REQUIRED_ARGUMENTS[p["name"]] for p in query if p.get("required")}
        for name, schema in ((p["name"], p["schema"]) for p in numbers):
            least, most = schema.get("minimum", 0), schema.get("maximum", MAX_INTEGER)
            probes = [(least - 1, True), (least, False), (most, False), (most + 1, True)]
            for value, refused in (probe for probe in probes if probe[0] >= 0):
                response = await jp_fetch(
                    "nbtools",
                    "api",
                    *url.strip("/").split("/"),
                    params={**required, name: str(value)},
                    raise_error=False,
                )
                reply = json.loads(response.body)
                names_it = response.code == 400 and reply["details"].get("field") == name
                if names_it != refused:
                    mismatches.append((path, name, value, response.code, reply))
                probed += 1
    assert not mismatches, "\n".join(map(str, mismatches))
    assert probed > 50


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
