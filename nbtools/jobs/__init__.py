"""Production jobs: parametrized notebook runs, cron schedules, run history, executors.

The API the REST handlers and the CLI call (each function opens its own transaction and
returns wire models, written as JSON by :func:`nbtools.jsonvalues.json_default`)::

    from nbtools import jobs
    jobs.list_runs(project, job_id=3, limit=100)        # [RunSummary], newest first
    jobs.show_run(project, 42)                           # RunDetail (with its metrics)
    jobs.run_notebook(project, "nb.ipynb", {"n": 3})     # RunSummary of the queued run
    jobs.run_job(project, 3, {"n": 4}); jobs.cancel_run(project, 42); jobs.rerun_run(project, 42)
    jobs.summarize_runs(project, runs)                   # models of Run rows from elsewhere

Features above ``jobs`` follow it through run events (:mod:`nbtools.jobs.events`). Worker
processes import this package too: it imports only what every run needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nbtools.jobs import runs
from nbtools.jobs.views import RunDetail, RunSummary, run_detail, run_summaries

if TYPE_CHECKING:
    from nbtools.jobs.models import Run
    from nbtools.project import Project

__all__ = [
    "RunDetail",
    "RunSummary",
    "cancel_run",
    "list_runs",
    "rerun_run",
    "run_job",
    "run_notebook",
    "show_run",
    "summarize_runs",
]


def list_runs(
    project: Project,
    *,
    job_id: int | None = None,
    notebook_path: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[RunSummary]:
    """A page of runs, newest first (see :func:`nbtools.jobs.runs.list_runs`): two queries
    whatever the page's size."""
    with project.store.session() as session:
        found = runs.list_runs(
            session,
            job_id=job_id,
            notebook_path=notebook_path,
            status=status,
            limit=limit,
            before=before,
        )
        return run_summaries(project, session, found)


def show_run(project: Project, run_id: int) -> RunDetail:
    with project.store.session() as session:
        return run_detail(project, session, runs.get_run(session, run_id))


def summarize_runs(project: Project, found: Sequence[Run]) -> list[RunSummary]:
    """The models of runs another call returned (they are read as they were then)."""
    with project.store.session() as session:
        return run_summaries(project, session, found)


def run_notebook(
    project: Project,
    notebook_path: str,
    parameters: dict[str, Any],
    *,
    kernel_name: str | None = None,
    timeout_seconds: int | None = None,
    output_html: bool = False,
) -> RunSummary:
    """Queue one run of a notebook (a scheduler executes it)."""
    from nbtools.jobs import submit  # not at import: a worker's start-up does not need it

    run = submit.queue_run(
        project,
        notebook_path,
        parameters,
        kernel_name=kernel_name,
        timeout_seconds=timeout_seconds,
        output_html=output_html,
    )
    return summarize_runs(project, [run])[0]


def run_job(project: Project, job_id: int, parameters: dict[str, Any]) -> RunSummary:
    """Queue a run of job ``job_id`` now, ``parameters`` overriding the job's."""
    from nbtools.jobs import definitions, submit

    with project.store.session() as session:
        job = definitions.get_job(session, job_id)
    values = {**job.parameters, **parameters}
    run = submit.queue_run(project, job.notebook_path, values, job=job)
    return summarize_runs(project, [run])[0]


def cancel_run(project: Project, run_id: int) -> RunSummary:
    """Cancel a queued run now, or ask the executor of a running run to stop it."""
    return summarize_runs(project, [runs.request_cancel(project.store, run_id)])[0]


def rerun_run(project: Project, run_id: int) -> RunSummary:
    """Queue a new run of the same notebook with the same parameters (and pinned version)."""
    return summarize_runs(project, [runs.rerun(project.store, run_id)])[0]
