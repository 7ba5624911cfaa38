"""Retries: a run failed by its input is not retried; a retry waits at most the maximum
backoff however many attempts doubled it. Real kernels, a real SQLite store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from nbtools.jobs import leases
from nbtools.jobs.definitions import create_job, get_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.kernels import KernelSource
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow


def _execute(project: Project, run_id: int) -> str | None:
    kernels = KernelSource(prestart=False)
    try:
        return execute_run(project, RunRequest.for_project(project, run_id), kernels)
    finally:
        kernels.close()


def _runs(project: Project) -> list[Run]:
    with project.store.session() as session:
        return list(session.scalars(select(Run).order_by(Run.id)))


@pytest.mark.parametrize("cause", ["kernel", "notebook", "parameters"])
def test_input_errors_are_not_retried(
    project: Project, notebook_factory: NotebookFactory, cause: str
) -> None:
    path = notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"]), ("code", "1", [])])
    kernel = "no-such-kernel" if cause == "kernel" else None  # installed on another machine
    fields = {"notebook_path": "nb.ipynb", "retries": 3, "kernel_name": kernel}
    job = create_job(project, fields, kernel_check=False)
    with project.store.session() as session:
        run = queue_run(project, "nb.ipynb", {"days": 2}, job=get_job(session, job.id))
    if cause == "notebook":
        path.unlink()
    if cause == "parameters":  # the notebook changed after the run was queued
        notebook_factory("nb.ipynb", [("code", "weeks = 1", ["parameters"])])
    assert _execute(project, run.id) == "failed"
    (failed,) = _runs(project)
    expected = {
        "kernel": "NoSuchKernel",
        "notebook": "NotFoundError",
        "parameters": "InvalidParameterError",
    }
    assert failed.error_name == expected[cause]


def test_an_execution_error_is_retried_and_the_backoff_is_capped(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "1 / 0", [])])
    job = create_job(
        project, {"notebook_path": "nb.ipynb", "retries": 1, "retry_backoff_seconds": 86400}
    )
    with project.store.session() as session:
        run = queue_run(project, "nb.ipynb", {}, job=get_job(session, job.id))
    assert _execute(project, run.id) == "failed"
    first, retry = _runs(project)
    assert (first.error_name, retry.retry_of, retry.attempt) == ("ZeroDivisionError", run.id, 2)
    assert retry.not_before is not None
    assert retry.not_before - retry.created_at == timedelta(days=1)  # the job's own backoff
    claimer = leases.Claimer()
    an_hour_later = retry.created_at + timedelta(hours=1)
    assert leases.claim_due(project.store, claimer, utcnow(), 30, 5, timedelta(hours=1)) == {}
    claimed = leases.claim_due(project.store, claimer, an_hour_later, 30, 5, timedelta(hours=1))
    assert list(claimed) == [retry.id]
    (_, capped) = _runs(project)
    assert capped.not_before == an_hour_later
