"""PATCH jobs/ID while a job's due times are missed (no scheduler serves the store): an edit
that leaves the schedule alone keeps them due; one that changes it, or pauses the job, settles
them at once (docs/jobs.md, "Missed runs"); tests/unit/jobs/test_edits_and_missed_runs.py
has the edges."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from nbtools import jobs
from nbtools.jobs.schedules import due_times, previous_times
from nbtools.jobs.tables import Job
from nbtools.project import Project
from nbtools.store.base import utcnow

#: No scheduler: the jobs and runs stay as the test leaves them, no kernel starts.
pytestmark = pytest.mark.scheduler(None)


async def call(jp_fetch: Any, method: str, *path: str, body: Any = None, **params: str) -> Any:
    text = None if body is None else json.dumps(body)
    response = await jp_fetch("nbtools", "api", *path, method=method, body=text, params=params)
    return json.loads(response.body)


def missed(project: Project, name: str) -> tuple[str, list[datetime]]:
    """A catch-up job whose last three hourly due times were missed: its id and those times."""
    cron = f"{(utcnow().minute + 30) % 60} * * * *"  # no due time while the test runs
    spec = {"name": name, "notebook_path": "nb.ipynb", "cron": cron, "missed_policy": "catch_up"}
    job = jobs.create_job(project, spec)
    first = previous_times(cron, "UTC", utcnow() - timedelta(hours=2))[0]
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job.id).values(next_run_at=first))
    return str(job.id), due_times(cron, "UTC", first, utcnow())


async def test_patch_keeps_or_settles_the_missed_due_times(jp_fetch: Any, project: Project) -> None:
    job_id, times = missed(project, "edited")
    kept = await call(jp_fetch, "PATCH", "jobs", job_id, body={"retries": 1, "parameters": {}})
    assert datetime.fromisoformat(kept["next_run_at"]) == times[0]
    assert await call(jp_fetch, "GET", "runs", job_id=job_id) == []
    moved = await call(jp_fetch, "PATCH", "jobs", job_id, body={"cron": "daily"})
    assert datetime.fromisoformat(moved["next_run_at"]) > utcnow()
    runs = await call(jp_fetch, "GET", "runs", job_id=job_id)
    assert [(run["status"], datetime.fromisoformat(run["scheduled_for"])) for run in runs] == [
        ("queued", time) for time in reversed(times)
    ]
    paused_id, paused_times = missed(project, "paused")
    paused = await call(jp_fetch, "PATCH", "jobs", paused_id, body={"paused": True})
    assert paused["next_run_at"] is None
    (skipped,) = await call(jp_fetch, "GET", "runs", job_id=paused_id)
    assert (skipped["status"], skipped["skipped"]["count"]) == ("skipped", len(paused_times))


async def test_a_catch_up_limit_without_the_catch_up_policy_is_400(
    jp_fetch: Any, project: Project
) -> None:
    """Only the policy catch_up runs several missed times: a limit given with another policy
    would mean nothing, in a new job or an edit; nothing is stored."""
    from tornado.httpclient import HTTPClientError

    spec = {"notebook_path": "nb.ipynb", "cron": "daily", "catch_up_limit": 5}
    job = jobs.create_job(project, {**spec, "missed_policy": "catch_up", "catch_up_limit": 3})
    for method, path, body in [
        ("POST", ("jobs",), spec),
        ("POST", ("jobs",), {**spec, "missed_policy": "skip"}),
        ("PATCH", ("jobs", str(job.id)), {"missed_policy": "run_once", "catch_up_limit": 5}),
    ]:
        with pytest.raises(HTTPClientError) as info:
            await call(jp_fetch, method, *path, body=body)
        error = json.loads(info.value.response.body)
        assert info.value.code == 400
        assert (error["details"]["field"], error["details"]["override"]) == (
            "catch_up_limit",
            "missed_policy",
        )
        assert "counts only under the missed-runs policy catch_up" in error["message"]
    (stored,) = await call(jp_fetch, "GET", "jobs")
    assert (stored["missed_policy"], stored["catch_up_limit"]) == ("catch_up", 3)
    dropped = await call(jp_fetch, "PATCH", "jobs", str(job.id), body={"missed_policy": "skip"})
    assert (dropped["missed_policy"], dropped["catch_up_limit"]) == ("skip", 3)  # kept, unused
