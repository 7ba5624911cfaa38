"""Jobs over REST: what a parameter's value may be (numbers JSON cannot hold, NaN and the
infinities, numbers too long to convert) and a parameters cell too deep to read: 400 naming
where, nothing created."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.conftest import make_notebook
from tests.server.conftest import ONE_WORKER
from tests.server.test_jobs_api import call, refused

pytestmark = pytest.mark.scheduler(ONE_WORKER)


@pytest.mark.parametrize(
    "expression",
    [
        " + ".join(["1"] * 2000),
        "-" * 100_000 + "1",  # beyond what Python's parser reads: its MemoryError was a 500
    ],
)
async def test_a_parameters_cell_too_deep_to_read_is_400_naming_the_cell(
    jp_fetch: Any, jp_root_dir: Path, expression: str
) -> None:
    """A default nested hundreds of levels deep is refused like a syntax error, not a 500."""
    deep = f"days = {expression}"
    notebook = make_notebook([("code", deep, ["parameters"]), ("code", "days", [])])
    (jp_root_dir / "deep.ipynb").write_text(json.dumps(notebook))
    for method, path, body, params in (
        ("GET", "parameters", None, {"path": "deep.ipynb"}),
        ("POST", "runs", {"notebook_path": "deep.ipynb"}, {}),
        ("POST", "jobs", {"notebook_path": "deep.ipynb", "cron": "daily"}, {}),
    ):
        error = await refused(jp_fetch, method, path, body=body, **params)
        assert (error["status"], error["details"]["cell"]) == (400, 0), (path, error)
        assert error["details"]["field"] == ("path" if method == "GET" else "notebook_path")
        assert "too deeply" in error["message"]
    assert await call(jp_fetch, "GET", "jobs") == []
    assert await call(jp_fetch, "GET", "runs") == []


async def test_a_number_too_long_to_convert_is_400_naming_the_body(
    jp_fetch: Any, notebooks: Path
) -> None:
    body = b'{"notebook_path": "forecast.ipynb", "parameters": {"days": ' + b"9" * 5000 + b"}}"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "runs", method="POST", body=body)
    assert info.value.code == 400
    assert info.value.response is not None
    payload = json.loads(info.value.response.body)
    assert (payload["details"]["field"], "4300 digits" in payload["message"]) == ("body", True)
    assert await call(jp_fetch, "GET", "runs") == []


def strict_json(raw: bytes) -> Any:
    """``raw`` read as a strict parser reads JSON: a ``NaN`` or ``Infinity`` token is refused."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"{token} is not JSON")

    return json.loads(raw, parse_constant=refuse)


async def test_numbers_json_cannot_hold_are_400_inside_values_and_big_integers_round_trip(
    jp_fetch: Any, notebooks: Path
) -> None:
    cell = "items = [1]\nopts = {'a': 1}\ndays = 1"
    (notebooks / "items.ipynb").write_text(
        json.dumps(make_notebook([("code", cell, ["parameters"])]))
    )
    big = 99999999999999999999999999
    for name, value in (("items", [float("nan")]), ("opts", {"a": {"b": [float("-inf")]}})):
        body = {"notebook_path": "items.ipynb", "parameters": {"days": big, name: value}}
        bad = await refused(jp_fetch, "POST", "jobs", body=body)  # NaN tokens Python's json reads
        assert (bad["status"], bad["details"]) == (400, {"parameter": name, "field": "parameters"})
        assert "JSON has no value for" in bad["message"]
    assert await call(jp_fetch, "GET", "jobs") == []
    parameters = {"days": big, "items": [-big, 1.5], "opts": {"a": big}}
    body = {"notebook_path": "items.ipynb", "parameters": parameters}
    job = await call(jp_fetch, "POST", "jobs", body=body)
    reply = await jp_fetch("nbtools", "api", "jobs", str(job["id"]))
    assert strict_json(reply.body)["parameters"] == parameters


async def test_nan_and_infinity_parameters_round_trip(jp_fetch: Any, notebooks: Path) -> None:
    largest = (1.5e308, 1.5e308)  # a float, though it is written with an exponent of 308
    for given, stored in (("nan", "nan"), ("-Infinity", "-inf"), (float("inf"), "inf"), largest):
        body = {"notebook_path": "forecast.ipynb", "parameters": {"growth": given}}
        job = await call(jp_fetch, "POST", "jobs", body=body)  # a NaN token Python's json reads
        assert job["parameters"] == {"growth": stored}
        assert (await call(jp_fetch, "GET", "jobs", str(job["id"])))["parameters"] == {
            "growth": stored
        }
    bad = await refused(
        jp_fetch,
        "POST",
        "jobs",
        body={"notebook_path": "forecast.ipynb", "parameters": {"days": "nan"}},
    )
    assert "expects int" in bad["message"]
    # past a float's range: an integer was a 500, the string "1e400" stored as "inf"
    for growth, said in ((10**400, "beyond a float's range"), ("1e400", 'got "1e400"')):
        body = {"notebook_path": "forecast.ipynb", "parameters": {"growth": growth}}
        beyond = await refused(jp_fetch, "POST", "jobs", body=body)
        assert (beyond["status"], beyond["details"]["field"]) == (400, "parameters")
        assert said in beyond["message"]


async def test_an_infinite_default_is_shown_as_the_value_that_gives_it(
    jp_fetch: Any, notebooks: Path
) -> None:
    """``growth = 1e999`` is an infinity, which JSON has no number for: its default is shown
    as ``"inf"``, the string a value for it is given as (it was ``null``), and sending that
    back gives the same number; a list holding one is a default computed when the notebook
    runs, shown as Python writes it back."""
    cell = "growth = 1e999  # how fast\nfloor: float = -1e999\ncaps = [1e999]"
    (notebooks / "infinite.ipynb").write_text(
        json.dumps(make_notebook([("code", cell, ["parameters"])]))
    )
    reply = await jp_fetch("nbtools", "api", "parameters", params={"path": "infinite.ipynb"})
    shown = {p["name"]: p for p in strict_json(reply.body)["parameters"]}
    assert (shown["growth"]["type"], shown["growth"]["default"]) == ("float", "inf")
    assert (shown["floor"]["default"], shown["floor"]["computed"]) == ("-inf", None)
    assert (shown["caps"]["default"], shown["caps"]["computed"]) == (None, "[1e309]")
    defaults = {name: shown[name]["default"] for name in ("growth", "floor")}
    body = {"notebook_path": "infinite.ipynb", "parameters": defaults}
    job = await call(jp_fetch, "POST", "jobs", body=body)
    assert job["parameters"] == {"growth": "inf", "floor": "-inf"}
