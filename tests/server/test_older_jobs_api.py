"""Jobs over REST as older versions left them in the store (a real server and SQLite store):
a timezone stored as ``localtime`` and a schedule with no time left are answered 200 as
documented, naming the zone the job runs in and why it has no next run; edits and resume keep
working; ``localtime`` given as input is a 400 naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update
from tornado.httpclient import HTTPClientError

from nbtools import jobs
from nbtools.jobs.tables import Job
from nbtools.jobs.views import NO_TIME_LEFT
from nbtools.jobs.zones import job_zone
from nbtools.project import Project
from tests.server.openapi_spec import reply_validator

#: No scheduler: the jobs stay as the store holds them, no kernels start.
pytestmark = pytest.mark.scheduler(None)


def stored(project: Project, name: str, **values: Any) -> int:
    """A job whose row holds ``values`` as an older version wrote them."""
    job = jobs.create_job(project, {"name": name, "notebook_path": "nb.ipynb", "cron": "0 6 * * *"})
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job.id).values(**values))
    return job.id


async def call(jp_fetch: Any, method: str, route: str, job_id: int = 0, body: Any = None) -> Any:
    """The reply to ``method route`` (an OpenAPI path), checked against what it documents."""
    path = route.replace("{job_id}", str(job_id)).strip("/").split("/")
    body_text = None if body is None else json.dumps(body)
    response = await jp_fetch("nbtools", "api", *path, method=method, body=body_text)
    reply = json.loads(response.body)
    reply_validator(route, method, response.code).validate(reply)
    return reply


async def test_a_job_stored_with_localtime_is_read_in_the_machines_zone(
    jp_fetch: Any, project: Project
) -> None:
    machine = job_zone("localtime")
    job_id = stored(project, "old", timezone="localtime")
    one = "/jobs/{job_id}"
    for model in (
        await call(jp_fetch, "GET", one, job_id),
        *(await call(jp_fetch, "GET", "/jobs")),
        *(await call(jp_fetch, "GET", "/jobs/overview"))["jobs"],
    ):
        assert (model["timezone"], model["timezone_note"]) == (machine.name, machine.note)
        assert model["next_run_note"] is None
    assert (await call(jp_fetch, "PATCH", one, job_id, {"retries": 2}))["retries"] == 2
    assert (await call(jp_fetch, "PATCH", one, job_id, {"paused": True}))["next_run_at"] is None
    resumed = await call(jp_fetch, "PATCH", one, job_id, {"paused": False})  # before: 400
    assert resumed["next_run_at"] is not None
    assert resumed["timezone_note"] == machine.note
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, "PATCH", one, job_id, {"timezone": "localtime"})
    refusal = json.loads(info.value.response.body)
    assert (info.value.code, refusal["details"]["field"]) == (400, "timezone")
    assert "Unknown timezone 'localtime'" in refusal["message"]
    fixed = await call(jp_fetch, "PATCH", one, job_id, {"timezone": "Europe/Lisbon"})
    assert (fixed["timezone"], fixed["timezone_note"]) == ("Europe/Lisbon", None)


async def test_a_job_with_no_time_left_says_why_it_has_no_next_run(
    jp_fetch: Any, project: Project
) -> None:
    last = stored(project, "last", next_run_at=None)
    held = stored(project, "held", next_run_at=None, paused=True)
    models = {job["name"]: job for job in await call(jp_fetch, "GET", "/jobs")}
    assert (models["last"]["next_run_at"], models["last"]["next_run_note"]) == (None, NO_TIME_LEFT)
    assert models["held"]["next_run_note"] is None  # paused says why already
    assert (await call(jp_fetch, "GET", "/jobs/{job_id}", last))["next_run_note"] == NO_TIME_LEFT
    page = await call(jp_fetch, "GET", "/jobs/overview")
    overview = {job["id"]: job for job in page["jobs"]}
    assert (overview[last]["next_run_note"], overview[held]["next_run_note"]) == (
        NO_TIME_LEFT,
        None,
    )
