"""The versions recorded on a user's behalf name that user, not the server's OS user: a run's
(who started it; a scheduled run's, the job's creator), an extraction's and a restore's — on a
real server with its scheduler, real kernels and an identity provider telling users apart."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from nbtools.jobs.runs import new_run
from nbtools.jobs.tables import Job
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import ONE_WORKER, server_config
from tests.server.test_identity import HeaderUsers, as_user

API = ("nbtools", "api")


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(ONE_WORKER, identity=HeaderUsers)


def write(root: Path, body: str) -> None:
    cells = [("code", "n = 1", ["parameters"]), ("code", body, ["export"])]
    (root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))


async def version_user_of_run(jp_fetch: Any, run_id: int) -> str:
    """The user of the version run ``run_id`` recorded, once it has finished."""
    for _ in range(1200):
        run = await as_user(jp_fetch, "alice", "GET", *API, "runs", str(run_id))
        if run["finished_at"] is not None:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"run {run_id} did not finish")
    assert run["status"] == "succeeded", run["error"]
    version_id = run["notebook_version_id"]
    version = await as_user(jp_fetch, "alice", "GET", *API, "versions", str(version_id))
    user: str = version["user"]
    return user


async def test_a_run_s_version_names_who_the_run_acts_for(
    jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    assert pwd.getpwuid(os.getuid()).pw_name not in ("alice", "bob")
    write(jp_root_dir, "x = 1")
    started = await as_user(
        jp_fetch, "alice", "POST", *API, "runs", body={"notebook_path": "nb.ipynb"}
    )
    assert started["created_by"] == "alice"
    assert await version_user_of_run(jp_fetch, started["id"]) == "alice"

    # bob runs alice's job of a changed notebook: the new version is his
    job = await as_user(jp_fetch, "alice", "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    write(jp_root_dir, "x = 2")
    now = await as_user(jp_fetch, "bob", "POST", *API, "jobs", str(job["id"]), "run", body={})
    assert await version_user_of_run(jp_fetch, now["id"]) == "bob"

    # a scheduled run (queued as the scheduler queues a due one) acts for the job's creator
    write(jp_root_dir, "x = 3")
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    with project.store.session(write=True) as session:
        scheduled = new_run(session.get(Job, job["id"]), trigger="schedule")
        session.add(scheduled)
    assert await version_user_of_run(jp_fetch, scheduled.id) == "alice"


async def test_an_extraction_s_and_a_restore_s_versions_name_who_asked(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    write(jp_root_dir, "def f():\n    return 1")
    body = {"path": "nb.ipynb", "dry_run": False}
    written = await as_user(jp_fetch, "bob", "POST", *API, "extract", body=body)
    version_id = written["lineage"]["notebook_version"]["id"]
    version = await as_user(jp_fetch, "alice", "GET", *API, "versions", str(version_id))
    assert version["user"] == "bob"

    write(jp_root_dir, "def f():\n    return 2")
    restored = await as_user(
        jp_fetch, "alice", "POST", *API, "versions", str(version_id), "restore", body={}
    )
    assert (restored["before"]["user"], restored["after"]["user"]) == ("alice", "alice")
