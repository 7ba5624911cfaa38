"""A request the Authorizer refuses to an authenticated user is an audit entry
(``access.deny``: who, which permission, which route), entered by ``@authorized`` for every
nbtools route and by the extra check of an edit that changes what a job runs; the refused
request writes nothing else, and a request without a user is no entry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from nbtools import audit
from nbtools.jobs.definitions import create_job
from nbtools.project import Project
from tests.server.conftest import server_config
from tests.server.test_identity import NOTEBOOK, HeaderUsers, as_user

API = ("nbtools", "api")


class AliceAdminBobReads(Authorizer):
    """alice may do anything; bob may only read nbtools (not write, execute or admin)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return user.username == "alice" or resource != "nbtools" or action == "read"


class AliceWrites(Authorizer):
    """alice may read and write nbtools, but not execute."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools" or action != "execute"


@pytest.fixture
def jp_server_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    authorizer = getattr(request, "param", AliceAdminBobReads)
    return server_config(identity=HeaderUsers, authorizer=authorizer)


async def refused(jp_fetch: Any, user: str, method: str, *path: str, body: Any = None) -> None:
    with pytest.raises(HTTPClientError) as info:
        await as_user(jp_fetch, user, method, *path, body=body)
    assert info.value.code == 403, info.value


def trail(jp_serverapp: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    return [(e.actor, e.action, e.target, e.summary) for e in audit.list_entries(project)]


async def test_each_refusal_names_the_user_the_permission_and_the_route(
    jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    job = await as_user(jp_fetch, "alice", "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    assert [j["id"] for j in await as_user(jp_fetch, "bob", "GET", *API, "jobs")] == [job["id"]]

    await refused(jp_fetch, "bob", "POST", *API, "jobs", str(job["id"]), "run", body={})
    await refused(jp_fetch, "bob", "DELETE", *API, "jobs", str(job["id"]))
    await refused(jp_fetch, "bob", "GET", *API, "audit")
    await refused(jp_fetch, "mallory", "DELETE", *API, "jobs", str(job["id"]))  # no user

    assert trail(jp_serverapp) == [
        ("bob", "access.deny", "GET /nbtools/api/audit", {"permission": "admin", "outcome": "denied"}),
        ("bob", "access.deny", f"DELETE /nbtools/api/jobs/{job['id']}",
         {"permission": "write", "outcome": "denied"}),
        ("bob", "access.deny", f"POST /nbtools/api/jobs/{job['id']}/run",
         {"permission": "execute", "outcome": "denied"}),
        ("alice", "job.create", f"job {job['id']}", trail(jp_serverapp)[-1][3]),
    ]  # fmt: skip
    # the refused requests wrote nothing else: no run, the job as it was
    assert await as_user(jp_fetch, "alice", "GET", *API, "runs") == []
    assert (await as_user(jp_fetch, "alice", "GET", *API, "jobs", str(job["id"])))["id"] == job[
        "id"
    ]
    listed = await jp_fetch(
        *API, "audit", params={"action": "access.*"}, headers={"X-Test-User": "alice"}
    )
    assert [e["actor"] for e in json.loads(listed.body)] == ["bob"] * 3


@pytest.mark.parametrize("jp_server_config", [AliceWrites], indirect=True)
async def test_an_edit_needing_execute_is_entered_as_its_refusal(
    jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    """A schedule's edit asks ``execute`` beyond the method's ``write`` (``authorize``)."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    job = create_job(project, {"notebook_path": "nb.ipynb"}, actor="ops").id
    job_path = (*API, "jobs", str(job))
    await refused(jp_fetch, "alice", "PATCH", *job_path, body={"cron": "0 3 * * *"})

    assert trail(jp_serverapp)[0] == (
        "alice", "access.deny", f"PATCH /nbtools/api/jobs/{job}",
        {"permission": "execute", "outcome": "denied"},
    )  # fmt: skip
    assert [entry[1] for entry in trail(jp_serverapp)] == ["access.deny", "job.create"]
    assert (await as_user(jp_fetch, "alice", "GET", *job_path))["cron"] is None


async def test_a_client_that_keeps_asking_is_entered_once_a_minute(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    """Two refused requests at once and one after them, of one user, are one entry; another
    user's refusal of the same route, and the same user's of another route, are their own."""
    audit_route = (*API, "audit")
    await asyncio.gather(*(refused(jp_fetch, "bob", "GET", *audit_route) for _ in range(2)))
    await refused(jp_fetch, "bob", "GET", *audit_route)
    await refused(jp_fetch, "carol", "GET", *audit_route)
    await refused(jp_fetch, "bob", "DELETE", *API, "jobs", "1")

    denied = {"permission": "admin", "outcome": "denied"}
    assert trail(jp_serverapp) == [
        ("bob", "access.deny", "DELETE /nbtools/api/jobs/1",
         {"permission": "write", "outcome": "denied"}),
        ("carol", "access.deny", "GET /nbtools/api/audit", denied),
        ("bob", "access.deny", "GET /nbtools/api/audit", denied),
    ]  # fmt: skip
