"""Every whole number a request takes, probed at the bounds ``openapi.yaml`` gives it, on a
real server over SQLite and over PostgreSQL (whose integer columns hold at most 2^31 - 1, where
SQLite holds 2^63 - 1): the documented minimum and maximum are answered, and one beyond them
is a 400 naming the input — never a 500, and the same on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_nbtools.handlers.base import MAX_INTEGER
from nbtools import versioning
from nbtools.jobs.definitions import create_job
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import server_config
from tests.server.openapi_spec import (
    body_properties,
    body_schema,
    declared_parameters,
    load_spec,
)

#: Values of the other query arguments routes require, so that the one probed is read.
REQUIRED_ARGUMENTS = {"path": "nb.ipynb", "q": "sales", "cron": "daily"}

#: Values of the other body fields operations require.
REQUIRED_FIELDS = {"notebook_path": "nb.ipynb"}

#: Fields naming something that must exist: past the first, nothing has the id probed, and
#: the value is refused for that (a 400 naming the field), not for its range.
REFERENCES = {"pinned_version_id": "There is no notebook version with id"}

#: Fields that mean something only beside another's value, which is sent with them.
COMPANIONS: dict[str, dict[str, Any]] = {"catch_up_limit": {"missed_policy": "catch_up"}}


@pytest.fixture
def jp_server_config(store_url: str) -> dict[str, Any]:
    return server_config(NbtoolsSettings={"db_url": store_url})


@pytest.fixture
def job(jp_serverapp: Any, jp_root_dir: Path) -> str:
    """The id of a job of ``nb.ipynb``, which has a version (id 1): the URL's ``{job_id}``."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    content = versioning.disk_content(project, "nb.ipynb")
    assert versioning.commit(project, "nb.ipynb", content).id == 1
    return str(create_job(project, {"notebook_path": "nb.ipynb"}).id)


def bounds(schema: dict[str, Any]) -> tuple[int, int] | None:
    """The least and the largest whole number ``schema`` documents, None if it leaves one open."""
    least = schema.get("minimum", schema.get("exclusiveMinimum", -2) + 1)
    most = schema.get("maximum")
    return None if least < 0 or most is None else (least, most)


def probes(least: int, most: int) -> list[tuple[int, bool]]:
    """The values probed and whether each must be refused."""
    return [(least - 1, True), (least, False), (most, False), (most + 1, True)]


async def test_integer_query_arguments_have_the_documented_bounds(jp_fetch: Any, job: str) -> None:
    """Every integer query argument of every GET: its documented minimum and maximum (none: 0
    and 2^63 - 1) are answered, and one beyond them is a 400 naming it."""
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
            for value, refused in (p for p in probes(least, most) if p[0] >= 0):
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


async def test_integer_body_fields_have_the_documented_bounds(jp_fetch: Any, job: str) -> None:
    """Every integer field of every request body documents its least and largest value; both
    are taken (stored, on PostgreSQL too), and one beyond them (-1 or 0, 2^31, 2^63) is a 400
    naming the field, which stores nothing."""
    probed, created, mismatches = 0, 0, []
    for path, item in load_spec()["paths"].items():
        for method in ("post", "put", "patch"):
            schema = body_schema(path, method) if method in item else None
            if schema is None:
                continue
            fields, required = body_properties(schema)
            ids = {p["name"]: job for p in declared_parameters(path, method) if p["in"] == "path"}
            url = path.format(**ids)
            for name, field in fields.items():
                kinds = field.get("type")
                if "integer" not in (kinds if isinstance(kinds, list) else [kinds]):
                    continue
                documented = bounds(field)
                if documented is None:
                    mismatches.append((method, path, name, "no documented bounds", field))
                    continue
                for value, refused in probes(*documented):
                    response = await jp_fetch(
                        "nbtools",
                        "api",
                        *url.strip("/").split("/"),
                        method=method.upper(),
                        body=json.dumps(
                            {
                                **{n: REQUIRED_FIELDS[n] for n in required},
                                **COMPANIONS.get(name, {}),
                                name: value,
                            }
                        ),
                        raise_error=False,
                    )
                    reply = json.loads(response.body)
                    names_it = response.code == 400 and reply["details"].get("field") == name
                    missing = names_it and REFERENCES.get(name, "\0") in reply["message"]
                    if response.code >= 500 or (names_it != refused and not missing):
                        mismatches.append((method, path, name, value, response.code, reply))
                    probed += 1
                    created += (method, path, response.code) == ("post", "/jobs", 201)
    assert not mismatches, "\n".join(map(str, mismatches))
    assert probed > 60
    listed = json.loads((await jp_fetch("nbtools", "api", "jobs")).body)
    assert len(listed) == 1 + created  # the probe's job and the jobs made by values taken
