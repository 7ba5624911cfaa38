"""Production jobs: parametrized notebook runs, cron schedules, run history, executors.

The API the REST handlers and the CLI call (each function opens its own transaction and
returns wire models, written as JSON by :func:`nbtools.jsonvalues.json_default`)::

    from nbtools import jobs
    jobs.create_job(project, {"name": "daily", "notebook_path": "nb.ipynb", "cron": "0 6 * * *"})
    jobs.list_jobs(project, offset=100, limit=100); jobs.count_jobs(project)  # [JobSpec], int
    jobs.show_job(project, 3)                            # JobSpec
    jobs.dashboard(project, jobs.ListJobsQuery(status="failed", sort="next_run_at"))  # JobsPage
    jobs.update_job(project, 3, {"retries": 2}); jobs.pause_job(project, 3, True)
    jobs.delete_job(project, 3)
    jobs.list_runs(project, job_id=3, limit=100)        # [RunListItem] (JSON objects), newest
    jobs.show_run(project, 42)                           # RunDetail (with its metrics)
    jobs.run_notebook(project, "nb.ipynb", {"n": 3})     # RunSummary of the queued run
    jobs.run_job(project, 3, {"n": 4}); jobs.cancel_run(project, 42); jobs.rerun_run(project, 42)
    jobs.summarize_runs(project, runs)                   # models of Run rows from elsewhere
    jobs.run_output(project, 42, "html")                 # RunOutput: the stored file
    jobs.error_traceback(project, 42)                    # the failing cell's traceback, text
    jobs.notebook_parameters(path)                       # NotebookParameters: the form's
    jobs.checked_parameters(project, "nb.ipynb", {"n": "3"}, from_text=True)  # typed values
    jobs.write_prepared(project, "nb.ipynb", {"n": 3}, Path("out.ipynb"))  # --prepare-only
    jobs.prune_runs(project, dry_run=True)               # retention; parse_keep_runs
    jobs.preview_schedule("0 6 * * 1-5", "Europe/Lisbon")  # SchedulePreview; schedule_presets()
    jobs.list_schedulers(project)                        # [SchedulerSeen] serving the store

Features above ``jobs`` follow it through run events (:mod:`nbtools.jobs.events`). Worker
processes import this package too: it imports only what every run needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nbtools.jobs import reaper, runs
from nbtools.jobs.views import (
    JobSpec,
    NotebookParameters,
    RunDetail,
    RunListItem,
    RunSummary,
    SchedulePreview,
    run_detail,
    run_list_items,
    run_summaries,
)
from nbtools.lazy import loader

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from nbtools.jobs.config import JobsSettings
    from nbtools.jobs.errors import InvalidParameterError
    from nbtools.jobs.executors.base import RunRequest
    from nbtools.jobs.fields import JOB_FIELDS, RUN_FIELDS
    from nbtools.jobs.idempotency import check_key as check_idempotency_key
    from nbtools.jobs.leases import Claimer
    from nbtools.jobs.models import Run
    from nbtools.jobs.outputs import (
        RunOutput,
        copy_output_notebook,
        error_traceback,
        is_run_output,
        run_output,
    )
    from nbtools.jobs.overview import MAX_PAGE, JobOverview, JobsPage, ListJobsQuery
    from nbtools.jobs.parameters import (
        parse_parameters_yaml,
        read_parameters_file,
        split_assignment,
    )
    from nbtools.jobs.prepare_only import write_prepared
    from nbtools.jobs.presence import SchedulerSeen
    from nbtools.jobs.retention import parse_keep_runs, prune_runs
    from nbtools.jobs.runner import execute_run
    from nbtools.jobs.runs import Progress
    from nbtools.jobs.submit import check_timeout, checked_parameters, queue_run
    from nbtools.jobs.watchdog import Interrupt
    from nbtools.jobs.zones import check_timezone
    from nbtools.project import Project

#: Loaded on first use (a worker needs none of them, nor does a page of runs): name →
#: (module, attribute).
_LAZY = {
    "JOB_FIELDS": ("fields", "JOB_FIELDS"),
    "RUN_FIELDS": ("fields", "RUN_FIELDS"),
    "MAX_PAGE": ("overview", "MAX_PAGE"),
    "JobOverview": ("overview", "JobOverview"),
    "JobsPage": ("overview", "JobsPage"),
    "ListJobsQuery": ("overview", "ListJobsQuery"),
    "RunOutput": ("outputs", "RunOutput"),
    "copy_output_notebook": ("outputs", "copy_output_notebook"),
    "error_traceback": ("outputs", "error_traceback"),
    "run_output": ("outputs", "run_output"),
    "is_run_output": ("outputs", "is_run_output"),
    "SchedulerSeen": ("presence", "SchedulerSeen"),
    "check_idempotency_key": ("idempotency", "check_key"),
    "check_timeout": ("submit", "check_timeout"),
    "checked_parameters": ("submit", "checked_parameters"),
    "parse_keep_runs": ("retention", "parse_keep_runs"),
    "prune_runs": ("retention", "prune_runs"),
    # what `nbtools run` and `nbtools scheduler` use to run here and now
    "Claimer": ("leases", "Claimer"),
    "Interrupt": ("watchdog", "Interrupt"),
    "JobsSettings": ("config", "JobsSettings"),
    "RunRequest": ("executors.base", "RunRequest"),
    "execute_run": ("runner", "execute_run"),
    "Progress": ("runs", "Progress"),
    "check_timezone": ("zones", "check_timezone"),
    "queue_run": ("submit", "queue_run"),
    "write_prepared": ("prepare_only", "write_prepared"),
    "split_assignment": ("parameters", "split_assignment"),
    "parse_parameters_yaml": ("parameters", "parse_parameters_yaml"),
    "read_parameters_file": ("parameters", "read_parameters_file"),
    "InvalidParameterError": ("errors", "InvalidParameterError"),
}

__all__ = [
    "JOB_FIELDS",
    "MAX_PAGE",
    "RUN_FIELDS",
    "Claimer",
    "Interrupt",
    "InvalidParameterError",
    "JobOverview",
    "JobSpec",
    "JobsPage",
    "JobsSettings",
    "ListJobsQuery",
    "NotebookParameters",
    "Progress",
    "RunDetail",
    "RunListItem",
    "RunOutput",
    "RunRequest",
    "RunSummary",
    "SchedulePreview",
    "SchedulerSeen",
    "cancel_run",
    "check_idempotency_key",
    "check_timeout",
    "check_timezone",
    "checked_parameters",
    "copy_output_notebook",
    "count_jobs",
    "create_job",
    "dashboard",
    "delete_job",
    "error_traceback",
    "execute_run",
    "find_job",
    "find_retry",
    "is_run_output",
    "job_names",
    "list_jobs",
    "list_runs",
    "list_schedulers",
    "notebook_parameters",
    "parse_keep_runs",
    "parse_parameters_yaml",
    "pause_job",
    "preview_schedule",
    "prune_runs",
    "queue_run",
    "read_parameters_file",
    "rerun_run",
    "run_job",
    "run_notebook",
    "run_output",
    "schedule_presets",
    "show_job",
    "show_run",
    "split_assignment",
    "summarize_runs",
    "update_job",
    "write_prepared",
]


def list_jobs(
    project: Project,
    notebook_path: str | None = None,
    *,
    archived: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[JobSpec]:
    """Jobs (or ``notebook_path``'s) by id; archived ones only with ``archived``; a page of
    ``limit`` (1 to :data:`~nbtools.ids.MAX_LIST`; None: all) after the first ``offset``."""
    from nbtools.jobs import definitions

    with project.store.session() as session:
        found = definitions.list_jobs(
            session, notebook_path, archived=archived, offset=offset, limit=limit
        )
        return [JobSpec.of(job) for job in found]


def count_jobs(
    project: Project, notebook_path: str | None = None, *, archived: bool = False
) -> int:
    """How many jobs :func:`list_jobs` lists with these filters, on every page."""
    from nbtools.jobs import definitions

    with project.store.session() as session:
        return definitions.count_jobs(session, notebook_path, archived=archived)


def list_schedulers(project: Project) -> list[SchedulerSeen]:
    """The schedulers serving the store now, alive ones first (:mod:`nbtools.jobs.presence`)."""
    from nbtools.jobs.presence import schedulers
    from nbtools.store import utcnow

    return schedulers(project.store, utcnow())


def dashboard(project: Project, query: ListJobsQuery) -> JobsPage:
    """The dashboard's page of active jobs, each with its latest and recent runs (see
    :mod:`nbtools.jobs.overview`): a fixed number of queries whatever the number of jobs."""
    from nbtools.jobs.overview import overview

    with project.store.session() as session:
        return overview(project, session, query)


def find_job(project: Project, ref: str) -> JobSpec:
    """The job ``ref`` names: its id or its name."""
    from nbtools.jobs import definitions

    with project.store.session() as session:
        return JobSpec.of(definitions.find_job(session, ref))


def job_names(project: Project, job_ids: Iterable[int]) -> dict[int, str]:
    """The names of jobs ``job_ids`` (archived ones too), by id, in one query."""
    from sqlalchemy import select

    from nbtools.jobs.tables import Job

    wanted = set(job_ids)
    if not wanted:
        return {}
    with project.store.session() as session:
        found = session.execute(select(Job.id, Job.name).where(Job.id.in_(wanted)))
        return dict(found.tuples().all())


def show_job(project: Project, job_id: int) -> JobSpec:
    from nbtools.jobs import definitions

    with project.store.session() as session:
        return JobSpec.of(definitions.get_job(session, job_id))


def create_job(
    project: Project,
    fields: dict[str, Any],
    *,
    from_text: bool = False,
    idempotency_key: str | None = None,
    actor: str | None = None,
    kernel_check: bool = True,
) -> JobSpec:
    """Store a new job created by ``actor``; nothing is stored if any field is invalid
    (``from_text``: parameter values are text to convert, as the command line gives them; a
    second job with the same ``idempotency_key`` is refused; with ``kernel_check``, a
    ``kernel_name`` not installed on this machine is refused)."""
    from nbtools.jobs import definitions

    job = definitions.create_job(
        project,
        fields,
        from_text=from_text,
        idempotency_key=idempotency_key,
        actor=actor,
        kernel_check=kernel_check,
    )
    return JobSpec.of(job)


def update_job(
    project: Project,
    job_id: int,
    changes: dict[str, Any],
    actor: str | None = None,
    *,
    kernel_check: bool = True,
) -> JobSpec:
    """Edit a job with typed values; ``parameters``, if given, replace the stored ones
    (audited as ``job.edit`` by ``actor``); a new ``kernel_name`` is checked as
    :func:`create_job` checks it. Due times missed so far stay due, unless the edit changes
    when the job runs: then they are settled first (docs/jobs.md, "Missed runs")."""
    from nbtools.jobs import definitions

    job = definitions.update_job(project, job_id, changes, actor, kernel_check=kernel_check)
    return JobSpec.of(job)


def pause_job(project: Project, job_id: int, paused: bool, actor: str | None = None) -> JobSpec:
    """Pause a job (no new scheduled runs) or resume it from the next due time (audited as
    ``job.pause`` or ``job.resume`` by ``actor``)."""
    from nbtools.jobs import definitions

    return JobSpec.of(definitions.set_paused(project, job_id, paused, actor))


def delete_job(
    project: Project, job_id: int, *, purge: bool = False, actor: str | None = None
) -> list[int]:
    """Archive a job (hidden, never run again, its history readable); ``purge`` deletes it
    (audited as ``job.archive`` or ``job.delete`` by ``actor``). Its queued runs end
    cancelled with it: returns their ids."""
    from nbtools.jobs import definitions

    return definitions.delete_job(project, job_id, purge=purge, actor=actor)


def list_runs(
    project: Project,
    *,
    job_id: int | None = None,
    notebook_path: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[RunListItem]:
    """A page of runs, newest first (see :func:`nbtools.jobs.runs.list_runs`), as the JSON
    objects of their :class:`RunSummary`, lost runs ended first
    (:func:`~nbtools.jobs.reaper.reap_expired`): a fixed number of queries whatever the
    page's size, in SQLAlchemy Core (no ``sqlalchemy.orm`` imported)."""
    reaper.reap_expired(project.store)
    with project.store.connection() as connection:
        found = runs.list_runs(
            connection,
            job_id=job_id,
            notebook_path=notebook_path,
            status=status,
            limit=limit,
            before=before,
        )
        return run_list_items(project, connection, found)


def show_run(project: Project, run_id: int) -> RunDetail:
    """One run with its metrics (a lost run ended first, as :func:`list_runs` does), read in
    SQLAlchemy Core as a list reads it."""
    reaper.reap_expired(project.store)
    with project.store.connection() as connection:
        return run_detail(project, connection, runs.get_run_row(connection, run_id))


def find_retry(project: Project, run_id: int) -> int | None:
    """The run retrying run ``run_id`` (its next attempt), if its job retried it."""
    with project.store.connection() as connection:
        return runs.retry_of(connection, run_id)


def summarize_runs(
    project: Project, found: Sequence[Run], *, queued: bool = False
) -> list[RunSummary]:
    """The models of runs another call returned (they are read as they were then);
    ``queued``: runs this call just queued, described without a query."""
    with project.store.session() as session:
        return run_summaries(project, session, found, queued=queued)


def run_notebook(
    project: Project,
    notebook_path: str,
    parameters: dict[str, Any],
    *,
    kernel_name: str | None = None,
    timeout_seconds: int | None = None,
    cell_timeout_seconds: int | None = None,
    output_html: bool = False,
    purpose: str | None = None,
    idempotency_key: str | None = None,
    actor: str | None = None,
    kernel_check: bool = True,
) -> RunSummary:
    """Queue one run of a notebook for ``purpose``, started by ``actor`` (a scheduler executes
    it; a repeated ``idempotency_key`` is refused, see :mod:`nbtools.jobs.idempotency`; with
    ``kernel_check``, a ``kernel_name`` not installed on this machine is refused). Its fields
    are checked as a job's are, every field refused named in one error
    (:func:`~nbtools.jobs.fields.checked_run_fields`)."""
    from nbtools.jobs import submit  # not at import: a worker's start-up does not need it
    from nbtools.jobs.fields import checked_run_fields

    fields = {
        "notebook_path": notebook_path,
        "parameters": parameters,
        "kernel_name": kernel_name,
        "timeout_seconds": timeout_seconds,
        "cell_timeout_seconds": cell_timeout_seconds,
        "output_html": output_html,
        "purpose": purpose,
    }
    checked = checked_run_fields(project, fields)
    run = submit.queue_run(
        project,
        checked.pop("notebook_path"),
        checked.pop("parameters"),
        **checked,
        idempotency_key=idempotency_key,
        actor=actor,
        kernel_check=kernel_check,
    )
    return summarize_runs(project, [run], queued=True)[0]


def run_job(
    project: Project,
    job_id: int,
    parameters: dict[str, Any],
    *,
    from_text: bool = False,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> RunSummary:
    """Queue a run of job ``job_id`` now, started by ``actor``, ``parameters`` overriding
    the job's (``from_text``: text to convert, as the command line gives them)."""
    from nbtools.jobs import definitions, submit

    with project.store.session() as session:
        job = submit.check_notebook_job(definitions.get_job(session, job_id))
    if from_text:  # typed as the notebook the run executes declares them
        parameters = submit.checked_parameters(
            project,
            job.notebook_path,
            parameters,
            from_text=True,
            pinned_version_id=job.pinned_version_id,
        )
    values = {**job.parameters, **parameters}
    run = submit.queue_run(
        project, job.notebook_path, values, job=job, idempotency_key=idempotency_key, actor=actor
    )
    return summarize_runs(project, [run], queued=True)[0]


def cancel_run(project: Project, run_id: int, *, actor: str | None = None) -> RunSummary:
    """Cancel a queued run now, or ask the executor of a running run to stop it (audited as
    ``run.cancel`` by ``actor``)."""
    from nbtools.jobs.cancel import request_cancel

    return summarize_runs(project, [request_cancel(project.store, run_id, actor)])[0]


def rerun_run(project: Project, run_id: int, *, actor: str | None = None) -> RunSummary:
    """Queue a new run of the same notebook with the same parameters (and pinned version),
    started by ``actor``, checked as a new run is (:func:`~nbtools.jobs.submit.queue_rerun`)."""
    from nbtools.jobs import submit

    rerun = submit.queue_rerun(project, run_id, actor)
    return summarize_runs(project, [rerun], queued=True)[0]


def notebook_parameters(path: Path) -> NotebookParameters:
    """The ``parameters`` cell of the notebook at ``path`` (resolved inside the root by the
    caller) and the parameters it declares, as a run reads them."""
    from nbtools.jobs.parameters import declared_parameters
    from nbtools.notebooks import read_notebook
    from nbtools.parameters import parameters_cell_index

    notebook = read_notebook(path)
    declared = declared_parameters(notebook, str(path))
    return NotebookParameters(parameters_cell_index(notebook), declared)


def preview_schedule(
    cron: str, timezone: str = "UTC", count: int = 5, start: datetime | None = None
) -> SchedulePreview:
    """``cron`` checked and explained, with its next ``count`` times (at most 50) after
    ``start`` (default: now)."""
    from nbtools.jobs.schedules import preview
    from nbtools.store.base import utcnow

    return SchedulePreview(**preview(cron, timezone, start or utcnow(), count))


def schedule_presets() -> dict[str, str]:
    """The named schedules a form offers (``daily``: ``0 0 * * *``, ...)."""
    from nbtools.jobs.schedules import PRESETS

    return dict(PRESETS)


__getattr__ = loader(__name__, _LAZY)
