"""A job archived while a scheduler daemon claims and starts its runs: nothing of it starts
once the archive has committed, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from nbtools.jobs.definitions import create_job, delete_job
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import kill_tree, wait_until

pytestmark = pytest.mark.slow


def job_runs(project: Project, job_id: int) -> list[Run]:
    with project.store.session() as session:
        return list(session.scalars(select(Run).where(Run.job_id == job_id).order_by(Run.id)))


def test_nothing_of_an_archived_job_starts_after_the_archive_commits(
    store_url: str, tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Archived while the daemon's two workers execute its runs and it claims the next: the
    runs started before go on to their end, every other one ends cancelled with the job and
    never starts (a claimed one included), where all of them ran."""
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=store_url)
    job = create_job(project, {"notebook_path": "quick.ipynb", "max_concurrent": 2})
    queued = [queue_run(project, "quick.ipynb", {}, job=job).id for _ in range(30)]
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(tmp_path)]
    command += ["--db-url", store_url, "scheduler", "--workers", "2", "--poll", "0.05"]
    daemon = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        wait_until(
            lambda: sum(run.finished_at is not None for run in job_runs(project, job.id)) >= 2,
            "two runs to end",
        )
        cancelled = delete_job(project, job.id)
        started = {run.id for run in job_runs(project, job.id) if run.started_at is not None}
        wait_until(
            lambda: all(run.finished_at is not None for run in job_runs(project, job.id)),
            "the runs started to end",
        )
        ended = job_runs(project, job.id)
    finally:
        kill_tree(psutil.Process(daemon.pid))
        project.close()
    assert cancelled, "the archive came after every run had started"
    assert cancelled == sorted(set(queued) - started)
    assert {run.id for run in ended if run.started_at is not None} == started
    for run in ended:
        if run.id in started:
            assert run.status == "succeeded"
        else:
            assert (run.status, run.error_name) == ("cancelled", "JobDeleted")
