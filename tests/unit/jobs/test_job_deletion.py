"""Deleting (archiving or purging) a job: its queued runs and retries never start, on SQLite
and PostgreSQL; a paused job's failed run is still retried."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from nbtools import audit
from nbtools.cli.app import cli
from nbtools.jobs import leases, runs
from nbtools.jobs.definitions import create_job, delete_job, set_paused
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests import held
from tests.conftest import opened_for_writing
from tests.unit.jobs.conftest import stored


def job_runs(project: Project, job_id: int) -> list[Run]:
    with project.store.session() as session:
        return list(session.scalars(select(Run).where(Run.job_id == job_id).order_by(Run.id)))


def running(project: Project, job: Job) -> Run:
    """A run of ``job`` started on worker ``w1``."""
    run = queue_run(project, "nb.ipynb", {}, job=job)
    started = runs.claim(project.store, run.id, "w1")
    assert started is not None
    return started


def waiting_retry(project: Project, job: Job) -> Run:
    """A queued retry of ``job`` waiting out its backoff."""
    with project.store.session(write=True) as session:
        retry = runs.new_run(
            job, trigger="retry", notebook_path="nb.ipynb", not_before=utcnow() + timedelta(hours=1)
        )
        retry.attempt = 2
        session.add(retry)
    return retry


@pytest.mark.parametrize("purge", [False, True])
def test_deleting_a_job_cancels_its_queued_runs_claimed_or_not_and_says_why(
    shared: Project, purge: bool
) -> None:
    job = create_job(shared, {"notebook_path": "nb.ipynb", "max_concurrent": 5})
    other = create_job(shared, {"notebook_path": "nb.ipynb", "name": "other"})
    executing = running(shared, job)
    claimed, queued = (queue_run(shared, "nb.ipynb", {}, job=job).id for _ in range(2))
    retry = waiting_retry(shared, job).id
    untouched = queue_run(shared, "nb.ipynb", {}, job=other).id
    claims = leases.claim_due(shared.store, leases.Claimer("sched"), utcnow(), 30, limit=1)
    assert list(claims) == [claimed]  # a scheduler holds it, its worker about to start it

    assert delete_job(shared, job.id, purge=purge, actor="ana") == [claimed, queued, retry]

    assert runs.claim(shared.store, claimed, "w2", token=claims[claimed]) is None
    for run_id in (claimed, queued, retry):
        run = stored(shared, run_id)
        assert (run.status, run.started_at, run.cancel_requested) == ("cancelled", None, True)
        assert (run.error_name, run.error_message) == (
            "JobDeleted",
            "Its job was deleted before it started.",
        )
        assert run.finished_at is not None
    assert stored(shared, executing.id).status == "running"  # it ends as it would have
    assert stored(shared, untouched).status == "queued"
    [entry] = audit.list_entries(shared, action="job.delete" if purge else "job.archive")
    assert (entry.actor, entry.summary) == ("ana", {"cancelled_runs": [claimed, queued, retry]})
    assert list(leases.claim_due(shared.store, leases.Claimer("s2"), utcnow(), 30, limit=9)) == [
        untouched
    ]


def test_deleting_a_job_without_queued_runs_cancels_nothing(shared: Project) -> None:
    job = create_job(shared, {"notebook_path": "nb.ipynb"})
    assert delete_job(shared, job.id) == []
    [entry] = audit.list_entries(shared, action="job.archive")
    assert entry.summary == {}
    assert delete_job(shared, job.id, purge=True) == []  # archived: nothing was left queued


def fail(project: Project, run: Run) -> None:
    ended = runs.finish(
        project.store, run.id, "w1", "failed", error_name="ValueError", error_message="boom"
    )
    assert ended


def test_an_archived_jobs_failed_run_is_not_retried_a_paused_jobs_is(shared: Project) -> None:
    """Archived while its run executed: the run ends as it would have, with no retry (one
    was queued and ran). Pausing stops the schedule only: a run already asked for (Run now
    works on a paused job) keeps its retries."""
    fields = {"notebook_path": "nb.ipynb", "retries": 2, "retry_backoff_seconds": 0}
    archived = create_job(shared, {**fields, "name": "archived"})
    doomed = running(shared, archived)
    delete_job(shared, archived.id)
    fail(shared, doomed)
    assert [(run.id, run.status) for run in job_runs(shared, archived.id)] == [
        (doomed.id, "failed")
    ]

    paused = create_job(shared, {**fields, "name": "paused"})
    failing = running(shared, paused)
    set_paused(shared, paused.id, True)
    fail(shared, failing)
    first, retry = job_runs(shared, paused.id)
    assert (first.id, first.status) == (failing.id, "failed")
    assert (retry.status, retry.attempt, retry.retry_of) == ("queued", 2, failing.id)


def test_remove_says_which_queued_runs_it_cancelled_and_runs_show_says_why(
    project: Project, notebook: str
) -> None:
    job = create_job(project, {"notebook_path": notebook, "max_concurrent": 2})
    first, second = (queue_run(project, notebook, {}, job=job).id for _ in range(2))
    root = ["--root", str(project.root)]
    result = CliRunner().invoke(cli, [*root, "schedule", "remove", str(job.id), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Job {job.id} archived; its queued runs {first}, {second} cancelled.\n"
    shown = CliRunner().invoke(cli, [*root, "runs", "show", str(first)])
    assert "JobDeleted: Its job was deleted before it started." in shown.output
    empty = create_job(project, {"notebook_path": notebook, "name": "empty"})
    result = CliRunner().invoke(cli, [*root, "schedule", "remove", str(empty.id), "--yes"])
    assert result.output == f"Job {empty.id} archived.\n"


def test_run_now_racing_an_archive_queues_nothing(
    project: Project, notebook: str, tmp_path: Path
) -> None:
    """``schedule run`` checks the job, then reads the notebook (held there, as it opens it)
    while the job is archived: it is refused when it stores the run, where it queued a run of
    the archived job (which a scheduler then ran)."""
    job = create_job(project, {"notebook_path": notebook})
    stop = held.Stop("open", notebook, fifo=held.fifo(tmp_path / "hold"))
    process = held.start(project.root, "schedule", "run", str(job.id), stop=stop)
    try:
        assert stop.fifo is not None
        writer = opened_for_writing(stop.fifo, process)  # the command checked the job
        delete_job(project, job.id)
        os.close(writer)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 2, (out, err)
    assert f"Job {job.id} was deleted" in err.decode()
    assert job_runs(project, job.id) == []
