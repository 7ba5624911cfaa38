"""A served function takes JSON's own types as JSON writes them: a value of another JSON type
is a 422 naming its field, never converted (pydantic turned ``true`` into 1.0 and ``"3"`` into
3). Through the real app, in this process (FastAPI's test client)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract

TYPED = (
    "#| serve\n"
    "from dataclasses import dataclass\n"
    "from typing import Literal\n\n\n"
    "@dataclass\n"
    "class Point:\n"
    "    x: float\n"
    "    n: int = 0\n"
    "    flag: bool = False\n"
    "    tags: list[str] | None = None\n\n\n"
    "@dataclass\n"
    "class Tree:\n"
    "    x: float\n"
    "    parent: 'Tree | None' = None\n"
    "    kids: list['Tree'] | None = None\n\n\n"
    "def grown(tree: Tree) -> str:\n"
    "    return repr(tree)\n\n\n"
    "def placed(at: Point, near: list[Point] | None = None) -> dict[str, str]:\n"
    "    return {'at': repr(at), 'near': repr(near)}\n\n\n"
    "def typed(x: float = 0.0, n: int = 0, s: str = '', flag: bool = False,\n"
    "          version: Literal[1, 2] = 1, tags: list[float] | None = None,\n"
    "          weights: dict[str, int] | None = None, pair: tuple[int, float] | None = None,\n"
    "          ) -> dict[str, str]:\n"
    '    """Each argument as Python got it."""\n'
    "    given = dict(x=x, n=n, s=s, flag=flag, version=version, tags=tags, weights=weights,\n"
    "                 pair=pair)\n"
    "    return {name: repr(value) for name, value in given.items()}\n\n\n"
    "def needs(x: float, n: int | None) -> dict[str, str]:\n"
    "    return {'x': repr(x), 'n': repr(n)}"
)
BIG = 10**400  # a JSON integer: no float holds it


@pytest.fixture
def client(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    package = extract(notebook_factory("typed.ipynb", [("code", TYPED, [])]), tmp_path / "pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "typed", raising=False)
    endpoints = {
        "typed": "typed.core:typed",
        "needs": "typed.core:needs",
        "placed": "typed.core:placed",
        "grown": "typed.core:grown",
    }
    with TestClient(create_app("typed", endpoints, ServeSettings())) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"x": True}, "x", "Input should be a valid number, not true"),
        ({"x": "3"}, "x", "Input should be a valid number, not a string"),
        ({"x": None}, "x", "Input should be a valid number, not null"),
        (
            {"x": BIG},
            "x",
            "Input should be a number within a float's range (up to about 1.8e308), not an "
            "integer of 401 digits",
        ),
        ({"n": True}, "n", "Input should be a valid integer, not true"),
        ({"n": False}, "n", "Input should be a valid integer, not false"),
        ({"n": "3"}, "n", "Input should be a valid integer, not a string"),
        ({"n": 2.5}, "n", "Input should be a valid integer, not a number with a fraction or an exponent"),
        ({"n": 3.0}, "n", "Input should be a valid integer, not a number with a fraction or an exponent"),
        ({"s": 3}, "s", "Input should be a valid string, not an integer"),
        ({"s": False}, "s", "Input should be a valid string, not false"),
        ({"flag": 1}, "flag", "Input should be a valid boolean, not an integer"),
        ({"flag": 0.0}, "flag", "Input should be a valid boolean, not a number with a fraction or an exponent"),
        ({"flag": "true"}, "flag", "Input should be a valid boolean, not a string"),
        ({"version": True}, "version", "Input should be 1 or 2"),
        ({"version": "1"}, "version", "Input should be 1 or 2"),
        ({"version": 2.0}, "version", "Input should be 1 or 2"),
        ({"tags": [1.5, True]}, "tags.1", "Input should be a valid number, not true"),
        ({"tags": "1.5"}, "tags", "Input should be a valid list, not a string"),
        ({"weights": {"a": "1"}}, "weights.a", "Input should be a valid integer, not a string"),
        ({"pair": [1, "2"]}, "pair.1", "Input should be a valid number, not a string"),
    ],
)  # fmt: skip
def test_a_value_of_another_json_type_is_refused_naming_its_field(
    client: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    reply = client.post("/typed", json=body)
    assert reply.status_code == 422, reply.text
    assert reply.json() == {
        "error": "invalid-input",
        "message": f"The request body is invalid: {field}.",
        "details": {"fields": [{"field": field, "message": message}]},
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"at": {"x": "1"}}, "at.x", "Input should be a valid number, not a string"),
        ({"at": {"x": True}}, "at.x", "Input should be a valid number, not true"),
        ({"at": {"x": 1, "n": 3.0}}, "at.n", "Input should be a valid integer, not a number with a fraction or an exponent"),
        ({"at": {"x": 1, "flag": 1}}, "at.flag", "Input should be a valid boolean, not an integer"),
        ({"at": {"x": 1, "tags": [2]}}, "at.tags.0", "Input should be a valid string, not an integer"),
        ({"at": {"x": 1}, "near": [{"x": "2"}]}, "near.0.x", "Input should be a valid number, not a string"),
    ],
)  # fmt: skip
def test_a_dataclass_s_fields_take_json_s_own_types_as_the_parameters_do(
    client: TestClient, body: dict[str, Any], field: str, message: str
) -> None:
    """pydantic read a dataclass's fields laxly: ``"1"`` and ``true`` for a float."""
    reply = client.post("/placed", json=body)
    assert reply.status_code == 422, reply.text
    assert reply.json()["details"]["fields"] == [{"field": field, "message": message}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"x": 1, "parent": {"x": "1"}}, "tree.parent.x"),
        ({"x": 1, "parent": {"x": 1, "parent": {"x": True}}}, "tree.parent.parent.x"),
        ({"x": 1, "kids": [{"x": 1}, {"x": "2"}]}, "tree.kids.1.x"),
        ({"x": 1, "kids": [{"x": 1, "parent": {"x": "3"}}]}, "tree.kids.0.parent.x"),
    ],
)
def test_a_dataclass_holding_itself_is_as_strict_at_every_level(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    """Its inner levels were read as pydantic reads a dataclass: ``"1"`` taken for a float."""
    reply = client.post("/grown", json={"tree": body})
    assert reply.status_code == 422, reply.text
    assert [f["field"] for f in reply.json()["details"]["fields"]] == [field]
    grown = client.post("/grown", json={"tree": {"x": 1, "kids": [{"x": 2, "parent": {"x": 3}}]}})
    assert grown.json() == (
        "Tree(x=1.0, parent=None, kids=[Tree(x=2.0, parent=Tree(x=3.0, parent=None, kids=None), "
        "kids=None)])"
    )


def test_a_dataclass_is_given_as_itself_with_its_schema(client: TestClient) -> None:
    body = {"at": {"x": 1, "n": 2, "flag": True, "tags": ["a"]}, "near": [{"x": 0.5}]}
    assert client.post("/placed", json=body).json() == {
        "at": "Point(x=1.0, n=2, flag=True, tags=['a'])",
        "near": "[Point(x=0.5, n=0, flag=False, tags=None)]",
    }
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Point"]
    assert schema["properties"]["x"] == {"type": "number", "title": "X"}
    assert schema["required"] == ["x"]


def test_each_json_type_is_taken_as_it_came_and_an_integer_as_a_float(
    client: TestClient,
) -> None:
    """JSON has one kind of number: an integer is a float's value (any of them within a
    float's range); an integer of any size is an int's."""
    body = {
        "x": 3,
        "n": -(10**30),
        "s": "3",
        "flag": True,
        "version": 2,
        "tags": [1, 2.5],
        "weights": {"a": 0},
        "pair": [1, 2],
    }
    reply = client.post("/typed", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "x": "3.0",
        "n": repr(-(10**30)),
        "s": "'3'",
        "flag": "True",
        "version": "2",
        "tags": "[1.0, 2.5]",
        "weights": "{'a': 0}",
        "pair": "(1, 2.0)",
    }
    assert client.post("/typed", json={"x": 10**308}).json()["x"] == "1e+308"
    assert client.post("/typed", json={"n": BIG}).json()["n"] == repr(BIG)


def test_null_is_refused_for_a_required_field_unless_its_type_takes_it(
    client: TestClient,
) -> None:
    """A field that must be given is not given by null; a type ``X | None`` takes it."""
    null = client.post("/needs", json={"x": None, "n": None})
    missing = client.post("/needs", json={"n": 1})
    batch = client.post("/needs/batch", json=[{"x": 1, "n": None}, {"x": False, "n": "1"}])
    assert null.status_code == 422
    assert null.json()["details"]["fields"] == [
        {"field": "x", "message": "Input should be a valid number, not null"}
    ]
    assert missing.json()["details"]["fields"] == [{"field": "x", "message": "Field required"}]
    assert [(f["field"], f["message"]) for f in batch.json()["details"]["fields"]] == [
        ("1.x", "Input should be a valid number, not false"),
        ("1.n", "Input should be a valid integer, not a string"),
    ]
    assert client.post("/needs", json={"x": 1, "n": None}).json() == {"x": "1.0", "n": "None"}


def test_the_request_schema_is_json_s_own_types(client: TestClient) -> None:
    """Taking them strictly changes nothing a client reads in /openapi.json."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    properties = schemas["TypedRequest"]["properties"]
    assert properties["x"] == {"type": "number", "title": "X", "default": 0.0}
    assert properties["n"] == {"type": "integer", "title": "N", "default": 0}
    assert properties["flag"] == {"type": "boolean", "title": "Flag", "default": False}
    assert properties["version"] == {
        "type": "integer",
        "enum": [1, 2],
        "title": "Version",
        "default": 1,
    }
    assert properties["tags"]["anyOf"][0] == {"type": "array", "items": {"type": "number"}}
