"""A job's deletion and the runs made for it meanwhile: none of its runs starts once it is
deleted (archived or purged), on SQLite and PostgreSQL.

Deleting a job locks its row, then cancels its queued runs in the same transaction. Whatever
makes a run for a job (a scheduler's due time, a retry, Run now, a rerun) reads the job with
a shared lock in the transaction that inserts the run: on PostgreSQL it waits for a deletion
in progress and then sees the job deleted; SQLite's write transactions take turns already.
A run queued before is cancelled by the deletion; a scheduler holding a claim on it cannot
start it then, as :func:`nbtools.jobs.runs.claim` starts queued runs only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from nbtools.jobs import tables
from nbtools.jobs.tables import CANCELLED, QUEUED, runs_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.jobs.models import Job

#: The error of a queued run cancelled because its job was deleted.
JOB_DELETED = "JobDeleted"

#: The columns of the ``runs`` table.
column = runs_table.c


def locked_job(session: Session, job_id: int, *, update: bool = False) -> Job | None:
    """Job ``job_id`` as committed now, locked until ``session`` ends on PostgreSQL: shared,
    so that a run made for it meanwhile waits for its deletion to commit and then sees it
    deleted, or with ``update`` (to change it: delete it, move its next run) alone."""
    lock = {"key_share": True} if update else {"read": True}
    return session.get(tables.Job, job_id, with_for_update=lock, populate_existing=True)


def cancel_queued_of_job(session: Session, job_id: int, now: datetime) -> list[int]:
    """End every queued run of job ``job_id``, which is being deleted, ``cancelled`` with the
    error :data:`JOB_DELETED` (claimed ones too, and retries waiting out their backoff);
    their ids. A running run goes on to its end (``runs cancel`` stops it)."""
    queued = select(column.id).where(column.job_id == job_id, column.status == QUEUED)
    ids = list(session.scalars(queued.with_for_update()))
    if ids:
        session.execute(
            update(runs_table)
            .where(column.id.in_(ids))
            .values(
                status=CANCELLED,
                cancel_requested=True,
                finished_at=now,
                error_name=JOB_DELETED,
                error_message="Its job was deleted before it started.",
            )
        )
    return ids
