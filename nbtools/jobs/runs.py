"""Run rows through their life: create, claim, heartbeat, finish (with retries), cancel.

Every state change that could race with another process is a conditional ``UPDATE`` whose
row count says who won: a run is claimed by exactly one executor, finished once, and a
reaped run is retried exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import select, update

from nbtools.durations import doubling_wait
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.ids import MAX_INT_COLUMN, check_limit
from nbtools.jobs import events, tables
from nbtools.jobs.deletion import locked_job
from nbtools.jobs.leases import LEASE_SECONDS, lease_free
from nbtools.jobs.tables import (
    FAILED,
    FINAL_STATES,
    QUEUED,
    RUN_STATES,
    RUNNING,
    SKIPPED,
    TIMED_OUT,
    runs_table,
)
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.store import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.jobs.missed import Plan
    from nbtools.jobs.models import Job, Run
    from nbtools.store.database import Store


#: The columns of the ``runs`` table (SQLAlchemy Core: statements on runs need no ORM class).
column = runs_table.c


def new_run(job: Job | None, **fields: Any) -> Run:
    """A queued run, taking the notebook and options from ``job`` unless given."""
    if job is not None:
        fields.setdefault("job_id", job.id)
        fields.setdefault("notebook_path", job.notebook_path)
        fields.setdefault("parameters", dict(job.parameters))
        fields.setdefault("kernel_name", job.kernel_name)
        fields.setdefault("timeout_seconds", job.timeout_seconds)
        fields.setdefault("cell_timeout_seconds", job.cell_timeout_seconds)
        fields.setdefault("output_html", job.output_html)
        fields.setdefault("pinned_version_id", job.pinned_version_id)
        fields.setdefault("created_by", job.created_by)
        fields.setdefault("purpose", job.purpose)
    fields.setdefault("status", QUEUED)
    fields.setdefault("created_at", utcnow())
    return tables.Run(attempt=1, cancel_requested=False, **fields)


def skipped_run(job: Job, plan: Plan, now: datetime) -> Run:
    """The ``skipped`` run recording the due times a missed-runs policy dropped."""
    return new_run(
        job,
        trigger="schedule",
        status=SKIPPED,
        scheduled_for=plan.dropped_first,
        skipped_until=plan.dropped_last,
        skipped_count=plan.dropped_count,
        skip_reason=plan.reason,
        created_at=now,
        finished_at=now,
    )


def get_run(session: Session, run_id: int) -> Run:
    run = session.get(tables.Run, run_id)
    if run is None:
        raise _no_such_run(run_id)
    return run


def _no_such_run(run_id: int) -> NotFoundError:
    return NotFoundError(f"Run {run_id} does not exist. List runs with `nbtools runs list`.")


class RunRow(NamedTuple):
    """A run as a list reads it: the columns its wire model shows and ``runs_described``
    subscribers read (:class:`nbtools.jobs.events.DescribedRun`), all but what only an
    executor needs. Read with SQLAlchemy Core into a named tuple, not an ORM object: a page
    of 1000 is read several times faster, and its fields are as fast to read as a tuple's.

    Not the shape of :class:`~nbtools.jobs.views.RunSummary`, the run as the API shows it:
    a row is flat stored columns (``cells_done``, ``error_name``, ``output_dir``), the model
    nests and computes (``progress``, ``error``, ``duration_seconds``, ``output_notebook``)
    and carries the fields of run events (``extra``); ``views._wire_fields`` maps one to the
    other."""

    id: int
    job_id: int | None
    trigger: str
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
    cancel_requested: bool
    cells_total: int | None
    cells_done: int | None
    current_cell: int | None
    idempotency_key: str | None
    skipped_until: datetime | None
    skipped_count: int | None
    skip_reason: str | None
    error_name: str | None
    error_message: str | None
    error_cell: int | None
    notebook_sha256: str | None
    notebook_version_id: int | None
    env_snapshot_id: str | None
    pinned_version_id: int | None
    reproduce_of: int | None
    output_dir: str | None
    outputs: list[str] | None
    pruned_at: datetime | None
    purged_at: datetime | None
    purpose: str | None


_ROW_COLUMNS = tuple(runs_table.c[name] for name in RunRow._fields)


def list_runs(
    connection: Connection,
    *,
    job_id: int | None = None,
    notebook_path: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[RunRow]:
    """Newest runs first, optionally for one job, one notebook or one status; at most
    ``limit`` (1 to :data:`~nbtools.ids.MAX_LIST`, else InvalidInputError).

    ``before`` pages back: only runs with a smaller id (pass the last id of a page). Read in
    SQLAlchemy Core (``Store.connection()``, or a session's connection): no ORM object is
    made, and a command that only lists runs imports no ``sqlalchemy.orm``.
    """
    query = select(*_ROW_COLUMNS).order_by(column.id.desc()).limit(check_limit(limit))
    if before is not None:
        query = query.where(column.id < before)
    if job_id is not None:
        query = query.where(column.job_id == job_id)
    if notebook_path is not None:
        query = query.where(column.notebook_path == notebook_path)
    if status is not None:
        if status not in RUN_STATES:
            raise InvalidInputError(
                f"Unknown status {status!r}; use one of {', '.join(RUN_STATES)}.", field="status"
            )
        query = query.where(column.status == status)
    return [RunRow._make(row) for row in connection.execute(query)]


def get_run_row(connection: Connection, run_id: int) -> RunRow:
    """Run ``run_id`` read as a list reads it (SQLAlchemy Core, no ORM object)."""
    found = connection.execute(select(*_ROW_COLUMNS).where(column.id == run_id)).first()
    if found is None:
        raise _no_such_run(run_id)
    return RunRow._make(found)


def retry_of(connection: Connection, run_id: int) -> int | None:
    """The run queued as run ``run_id``'s next attempt, if it was retried (queued in the
    transaction that ended it: :func:`finish`)."""
    found: int | None = connection.scalar(select(column.id).where(column.retry_of == run_id))
    return found


def claim(
    store: Store,
    run_id: int,
    worker: str,
    *,
    token: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
    metric_max_bytes: int = DEFAULT_MAX_VALUE_BYTES,
) -> Run | None:
    """Start a queued run on ``worker``; None if it is not ours to start.

    With ``token`` the run must be under that claim (see :mod:`nbtools.jobs.leases`);
    without, nobody may hold a claim on it. The run's lease then lasts ``lease_seconds`` and
    is renewed by :func:`heartbeat`. The run keeps metric values up to ``metric_max_bytes``
    (``MetricsSettings.max_value_bytes``), whoever ends it (:func:`finish`).
    """
    now = utcnow()
    held = column.lease_owner == token if token is not None else lease_free(now)
    with store.session(write=True) as session:
        result = session.execute(
            update(runs_table)
            .where(
                column.id == run_id,
                column.status == QUEUED,
                column.cancel_requested.is_(False),
                held,
            )
            .values(
                status=RUNNING,
                worker=worker,
                started_at=now,
                heartbeat_at=now,
                lease_owner=token or worker,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                metric_max_bytes=metric_max_bytes,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(tables.Run, run_id)


@dataclass
class Progress:
    """How far a running run is: cells done of the total, and the cell executing now."""

    cells_total: int | None = None
    cells_done: int = 0
    current_cell: int | None = None


#: What a heartbeat tells the worker: go on, stop for a cancel, or stop: the run is not ours.
CONTINUE, STOP_CANCELLED, STOP_LEASE_LOST = "continue", "cancel", "lease_lost"


def heartbeat(
    store: Store,
    run_id: int,
    worker: str,
    progress: Progress,
    lease_seconds: float = LEASE_SECONDS,
) -> str:
    """Record liveness and progress and renew the run's lease.

    Returns :data:`STOP_CANCELLED` when a cancel was requested and :data:`STOP_LEASE_LOST`
    when the run is no longer this worker's (its lease expired and it was ended as lost).
    """
    now = utcnow()
    with store.session(write=True) as session:
        result = session.execute(
            update(runs_table)
            .where(column.id == run_id, column.status == RUNNING, column.worker == worker)
            .values(
                heartbeat_at=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                cells_total=progress.cells_total,
                cells_done=progress.cells_done,
                current_cell=progress.current_cell,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return STOP_LEASE_LOST
        requested = session.scalar(select(column.cancel_requested).where(column.id == run_id))
    return STOP_CANCELLED if requested else CONTINUE


def record_start(store: Store, run_id: int, worker: str, **fields: Any) -> None:
    """Store what a started run is executing (content hash, lineage, cell count)."""
    with store.session(write=True) as session:
        session.execute(
            update(runs_table).where(column.id == run_id, column.worker == worker).values(**fields)
        )


def finish(
    store: Store,
    run_id: int,
    worker: str | None,
    status: str,
    *,
    expired_at: datetime | None = None,
    lease_owner: str | None = None,
    **fields: Any,
) -> bool:
    """End a running run; schedules a retry when it failed and attempts remain.

    Subscribers to ``run_finishing`` (:mod:`nbtools.jobs.events`; monitoring harvests the
    run's metrics, values up to the limit the run was claimed with, whoever ends it) read
    first; their work is done inside the transaction that ends the run.

    ``worker`` None finishes whoever holds it: the reaper, only if its lease expired before
    ``expired_at``; an executor that saw the worker die, only under its claim ``lease_owner``;
    the run then keeps its worker's last heartbeat (the one a ``WorkerLost`` message names).
    Returns False when the run was already finished elsewhere.
    """
    assert status in FINAL_STATES
    work = events.run_finishing(
        events.RunFinishing(store, run_id, fields.get("output_dir"), _metric_limit(store, run_id))
    )
    now = utcnow()
    with store.session(write=True) as session:
        conditions = [column.id == run_id, column.status == RUNNING]
        if worker is not None:
            conditions.append(column.worker == worker)
        if expired_at is not None:
            conditions.append(column.lease_expires_at < expired_at)
        if lease_owner is not None:
            conditions.append(column.lease_owner == lease_owner)
        if worker is not None:  # its worker's last sign of life; another keeps the worker's
            fields["heartbeat_at"] = now
        result = session.execute(
            update(runs_table).where(*conditions).values(status=status, finished_at=now, **fields)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        retry = None
        if status in (FAILED, TIMED_OUT):
            retry = schedule_retry(session, get_run(session, run_id), now)
        events.run_finished(work, events.RunFinished(session, run_id, now, final=retry is None))
    return True


def _metric_limit(store: Store, run_id: int) -> int:
    """The largest metric value run ``run_id`` keeps: the limit it was claimed with (the
    default for a run started before runs recorded it, or one that is gone)."""
    with store.connection() as connection:
        limit = connection.scalar(select(column.metric_max_bytes).where(column.id == run_id))
    return DEFAULT_MAX_VALUE_BYTES if limit is None else int(limit)


#: Errors that fail every attempt alike (the input is wrong, not the moment): never retried.
INPUT_ERRORS = frozenset(
    {
        "NotFoundError",  # the notebook is missing
        "InvalidParameterError",  # the parameters do not fit the notebook
        "NotebookError",  # the notebook cannot be read
        "PathOutsideRootError",
        "NoSuchKernel",  # the kernel is not installed
    }
)


#: The longest a retry waits, in seconds, however many attempts doubled its job's backoff:
#: the longest backoff a job may have (about 68 years), so that its due time stays in the
#: calendar (the scheduler brings it forward to its ``max_retry_backoff_seconds``).
MAX_RETRY_DELAY = MAX_INT_COLUMN


def schedule_retry(session: Session, run: Run, now: datetime) -> Run | None:
    """Queue the next attempt of a failed job run, after an exponential backoff.

    A run failed by its input (:data:`INPUT_ERRORS`) is not retried, nor one of a deleted
    (archived) job; a paused job's is (pausing stops the schedule, not the runs asked for).
    The backoff doubles per attempt, up to :data:`MAX_RETRY_DELAY`; the scheduler caps the
    wait at its ``max_retry_backoff_seconds`` setting (:func:`nbtools.jobs.leases.claim_due`).
    """
    job = None if run.job_id is None else locked_job(session, run.job_id)
    if job is None or job.archived_at is not None:
        return None
    if run.attempt > job.retries or run.cancel_requested:
        return None
    if run.error_name in INPUT_ERRORS:
        return None
    delay = doubling_wait(job.retry_backoff_seconds, run.attempt, MAX_RETRY_DELAY)
    retry = new_run(
        job,
        trigger="retry",
        notebook_path=run.notebook_path,
        parameters=dict(run.parameters),
        pinned_version_id=run.pinned_version_id,
        created_by=run.created_by,  # who started the run retried, not the job's creator
        retry_of=run.id,
        created_at=now,
        not_before=now + timedelta(seconds=delay),
    )
    retry.attempt = run.attempt + 1
    session.add(retry)
    return retry
