"""The wire models of jobs and runs: what the REST API and ``nbtools … --json`` return.

``JobSpec`` is a job definition with its schedule's description and next due time.

``RunSummary`` is a run (queued, cancelled, rerun); ``RunDetail`` one run shown alone, with
the fields subscribers add only there (its ``metrics``); ``RunListItem`` a run in a list, the
same JSON object built straight from a row. All are built a page at a time with a fixed
number of queries: the ``runs_described`` event (:mod:`nbtools.jobs.events`) is delivered
once a page, and its subscribers (lineage) answer for the whole page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nbtools.jobs import events
from nbtools.jobs.run_files import output_files
from nbtools.jobs.runs import RunRow
from nbtools.jobs.tables import RUNNING, SKIPPED
from nbtools.jsonvalues import WireModel
from nbtools.store import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.jobs.models import Job, Run
    from nbtools.parameters import Parameter
    from nbtools.project import Project


@dataclass(frozen=True)
class JobSpec(WireModel):
    id: int
    name: str
    notebook_path: str
    parameters: dict[str, Any]
    cron: str | None
    #: The IANA zone the schedule runs in (for a job an older version stored with
    #: ``localtime``, the machine's zone it is read as: ``timezone_note`` says so).
    timezone: str
    #: How a stored timezone that names no IANA zone is read, and what to do; None for an
    #: IANA name (see :mod:`nbtools.jobs.zones`).
    timezone_note: str | None
    paused: bool
    retries: int
    retry_backoff_seconds: int
    timeout_seconds: int | None
    #: Seconds one cell may run before the run fails.
    cell_timeout_seconds: int | None
    max_concurrent: int
    output_html: bool
    missed_policy: str
    #: At most this many missed due times are run after downtime (the rest are skipped).
    catch_up_limit: int
    kernel_name: str | None
    pinned_version_id: int | None
    #: What the job's data is used for (checked against the datasets' purposes).
    purpose: str | None
    #: How many runs (``30``) or how long (``30d``) the job keeps its runs' outputs; None:
    #: ``JobsSettings.keep_runs``.
    keep_runs: str | None
    #: The cron expression in words ("at 06:00 on weekdays").
    schedule_description: str | None
    #: The key the job was created with, if any (see :mod:`nbtools.jobs.idempotency`).
    idempotency_key: str | None
    next_run_at: datetime | None
    #: Why a scheduled job, neither paused nor archived, has no next run (its schedule has no
    #: time left before the calendar ends); None otherwise.
    next_run_note: str | None
    #: Who created the job: the authenticated Jupyter user, or the CLI's actor.
    created_by: str | None
    #: When the job was deleted (archived); None while it is active.
    archived_at: datetime | None
    #: A served package's traffic (``nbtools serve --record-to``): its runs are the
    #: service's minutes; it is never scheduled and runs no notebook.
    service: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, job: Job) -> JobSpec:
        from nbtools.jobs.schedules import describe  # not at import: workers do not need it
        from nbtools.jobs.zones import job_zone

        zone = job_zone(job.timezone)
        return cls(
            id=job.id,
            name=job.name,
            notebook_path=job.notebook_path,
            parameters=job.parameters,
            cron=job.cron,
            timezone=zone.name,
            timezone_note=zone.note,
            paused=job.paused,
            retries=job.retries,
            retry_backoff_seconds=job.retry_backoff_seconds,
            timeout_seconds=job.timeout_seconds,
            cell_timeout_seconds=job.cell_timeout_seconds,
            max_concurrent=job.max_concurrent,
            output_html=job.output_html,
            missed_policy=job.missed_policy,
            catch_up_limit=job.catch_up_limit,
            kernel_name=job.kernel_name,
            pinned_version_id=job.pinned_version_id,
            purpose=job.purpose,
            keep_runs=job.keep_runs,
            schedule_description=describe(job.cron) if job.cron else None,
            idempotency_key=job.idempotency_key,
            next_run_at=job.next_run_at,
            next_run_note=_no_next_run(job),
            created_by=job.created_by,
            archived_at=job.archived_at,
            service=job.service,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


#: Why a scheduled, active job has no next run.
NO_TIME_LEFT = (
    "Its schedule has no run time left before the calendar ends with the year 9999: it runs "
    "only when asked."
)


def _no_next_run(job: Job) -> str | None:
    """:data:`NO_TIME_LEFT` for a scheduled job, neither paused nor archived, without a next
    run: only a schedule past its last time leaves one so (the scheduler, or a save at such a
    moment)."""
    scheduled = job.cron is not None and not job.paused and job.archived_at is None
    return NO_TIME_LEFT if scheduled and job.next_run_at is None else None


@dataclass(frozen=True)
class RunProgress(WireModel):
    cells_total: int | None
    cells_done: int | None
    current_cell: int | None


@dataclass(frozen=True)
class RunSkip(WireModel):
    """Why a due run was skipped, and how many due times it stands for."""

    until: datetime | None
    count: int | None
    reason: str | None


@dataclass(frozen=True)
class RunError(WireModel):
    name: str
    message: str | None
    cell: int | None


@dataclass(frozen=True)
class RunSummary(WireModel):
    id: int
    job_id: int | None
    trigger: str
    #: Who started the run (a scheduled run: who created its job).
    created_by: str | None
    notebook_path: str
    parameters: dict[str, Any]
    status: str
    attempt: int
    retry_of: int | None
    scheduled_for: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    worker: str | None
    lease_expires_at: datetime | None
    not_before: datetime | None
    timeout_seconds: int | None
    cell_timeout_seconds: int | None
    duration_seconds: float | None
    cancel_requested: bool
    progress: RunProgress
    #: The key the run was queued with, if any (see :mod:`nbtools.jobs.idempotency`).
    idempotency_key: str | None
    skipped: RunSkip | None
    error: RunError | None
    notebook_sha256: str | None
    notebook_version_id: int | None
    env_snapshot_id: str | None
    pinned_version_id: int | None
    reproduce_of: int | None
    output_notebook: str | None
    output_html: str | None
    #: When retention deleted the run's stored outputs (the run row is kept).
    pruned_at: datetime | None
    #: When a purge of the data it used deleted them (``nbtools data usage NAME --purge``).
    purged_at: datetime | None
    #: Fields other features add (``lineage``; for a detail, ``metrics``).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDetail(RunSummary):
    """One run shown alone: its ``extra`` also holds the fields only a detail shows."""


#: A run in a list: the JSON object of its :class:`RunSummary` (``to_wire()``: the same
#: keys in the same order, ``extra`` merged in), built straight from its
#: :class:`~nbtools.jobs.runs.RunRow`: a page of 1000 makes no model objects.
RunListItem = dict[str, Any]


def _wire_fields(run: Run | RunRow, now: datetime) -> dict[str, Any]:
    """The one mapping of a run's columns to its wire fields (nested objects as dicts;
    times as ``datetime``, which the encoder writes in ISO 8601)."""
    end = run.finished_at or (now if run.status == RUNNING else None)
    duration = (end - run.started_at).total_seconds() if end and run.started_at else None
    files = output_files(run)
    return {
        "id": run.id,
        "job_id": run.job_id,
        "trigger": run.trigger,
        "created_by": run.created_by,
        "notebook_path": run.notebook_path,
        "parameters": run.parameters,
        "status": run.status,
        "attempt": run.attempt,
        "retry_of": run.retry_of,
        "scheduled_for": run.scheduled_for,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "worker": run.worker,
        "lease_expires_at": run.lease_expires_at,
        "not_before": run.not_before,
        "timeout_seconds": run.timeout_seconds,
        "cell_timeout_seconds": run.cell_timeout_seconds,
        "duration_seconds": None if duration is None else round(duration, 3),
        "cancel_requested": run.cancel_requested,
        "progress": {
            "cells_total": run.cells_total,
            "cells_done": run.cells_done,
            "current_cell": run.current_cell,
        },
        "idempotency_key": run.idempotency_key,
        "skipped": None
        if run.status != SKIPPED
        else {"until": run.skipped_until, "count": run.skipped_count, "reason": run.skip_reason},
        "error": None
        if run.error_name is None
        else {"name": run.error_name, "message": run.error_message, "cell": run.error_cell},
        "notebook_sha256": run.notebook_sha256,
        "notebook_version_id": run.notebook_version_id,
        "env_snapshot_id": run.env_snapshot_id,
        "pinned_version_id": run.pinned_version_id,
        "reproduce_of": run.reproduce_of,
        "output_notebook": str(files["notebook"]) if "notebook" in files else None,
        "output_html": str(files["html"]) if "html" in files else None,
        "pruned_at": run.pruned_at,
        "purged_at": run.purged_at,
    }


def _fields(run: Run | RunRow, extra: dict[str, Any]) -> dict[str, Any]:
    """:func:`_wire_fields` with the nested objects as their wire models."""
    values = _wire_fields(run, utcnow())
    skipped, error = values["skipped"], values["error"]
    return {
        **values,
        "progress": RunProgress(**values["progress"]),
        "skipped": None if skipped is None else RunSkip(**skipped),
        "error": None if error is None else RunError(**error),
        "extra": extra,
    }


def run_list_items(
    project: Project, connection: Connection, rows: Sequence[RunRow]
) -> list[RunListItem]:
    """A page of runs read as rows (:func:`nbtools.jobs.runs.list_runs`) as their JSON
    objects: a fixed number of queries in SQLAlchemy Core, and no model object made."""
    extra = events.runs_described(events.RunsDescribed(project, connection, rows))
    now = utcnow()
    return [{**_wire_fields(row, now), **extra[row.id]} for row in rows]


def run_summaries(
    project: Project, session: Session, runs: Sequence[Run], *, queued: bool = False
) -> list[RunSummary]:
    """The models of runs loaded in ``session``: a fixed number of queries (none for runs
    just ``queued``, see :class:`~nbtools.jobs.events.RunsDescribed`)."""
    described = events.RunsDescribed(project, session.connection(), runs, queued=queued)
    extra = events.runs_described(described)
    return [RunSummary(**_fields(run, extra[run.id])) for run in runs]


def run_detail(project: Project, connection: Connection, run: RunRow) -> RunDetail:
    """The model of one run shown alone (with the fields only a detail has), read as a row."""
    described = events.RunsDescribed(project, connection, [run], detail=True)
    extra = events.runs_described(described)
    return RunDetail(**_fields(run, extra[run.id]))


@dataclass(frozen=True)
class NotebookParameters(WireModel):
    """What the create-job form shows of a notebook: the index of its ``parameters`` cell
    (None without one) and the parameters it declares."""

    cell: int | None
    parameters: list[Parameter]

    def to_wire(self) -> dict[str, Any]:
        return {"cell": self.cell, "parameters": [p.to_dict() for p in self.parameters]}


@dataclass(frozen=True)
class SchedulePreview(WireModel):
    """A cron expression checked and explained: its ``description`` in words and its next
    times from now, in UTC (``next``) and in its ``timezone`` (``next_local``)."""

    cron: str
    timezone: str
    description: str
    next: list[str]
    next_local: list[str]
