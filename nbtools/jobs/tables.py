"""Tables of the jobs feature: job definitions and their runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, UtcDateTime, utcnow

#: Run states; the four after running are the outcomes of an execution. ``skipped`` records
#: due times a missed-runs policy dropped: it never executes (see :mod:`nbtools.jobs.missed`).
QUEUED, RUNNING = "queued", "running"
SUCCEEDED, FAILED, TIMED_OUT, CANCELLED = "succeeded", "failed", "timed_out", "cancelled"
SKIPPED = "skipped"
FINAL_STATES = (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED)
ENDED_STATES = (*FINAL_STATES, SKIPPED)
RUN_STATES = (QUEUED, RUNNING, *ENDED_STATES)

#: What to do with due times missed while no scheduler ran.
MISSED_RUN_ONCE, MISSED_SKIP, MISSED_CATCH_UP = "run_once", "skip", "catch_up"
MISSED_POLICIES = (MISSED_RUN_ONCE, MISSED_SKIP, MISSED_CATCH_UP)


class Job(Base):
    """A notebook, its parameters and (optionally) a cron schedule to run it on."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    notebook_path: Mapped[str] = mapped_column(String(4096))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cron: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    retry_backoff_seconds: Mapped[int] = mapped_column(Integer, default=60)
    timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    #: Seconds one cell may run before the run fails (papermill's ``execution_timeout``).
    cell_timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=1)
    output_html: Mapped[bool] = mapped_column(Boolean, default=False)
    missed_policy: Mapped[str] = mapped_column(String(16), default=MISSED_RUN_ONCE)
    #: Under the catch-up policy, at most this many missed due times run (the latest ones).
    catch_up_limit: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    kernel_name: Mapped[str | None] = mapped_column(String(200))
    #: Run this notebook version instead of the file on disk (lineage feature).
    pinned_version_id: Mapped[int | None] = mapped_column(Integer)
    #: What the job's data is used for, checked against the datasets' allowed purposes.
    purpose: Mapped[str | None] = mapped_column(String(64))
    #: How long its runs are kept: ``"N"`` (the newest N) or an age (``"30d"``); None: the
    #: project's default (see :mod:`nbtools.jobs.retention`).
    keep_runs: Mapped[str | None] = mapped_column(String(16))
    #: The key the job was submitted with (unique: see :mod:`nbtools.jobs.idempotency`).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Who created the job: the authenticated Jupyter user, or the CLI's actor.
    created_by: Mapped[str | None] = mapped_column(String(255))
    #: When the job was deleted without ``purge``: hidden from lists, never scheduled, its
    #: runs, metrics and alerts kept readable.
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Run(Base):
    """One execution of a notebook: a job's due time, a manual trigger, a rerun or a retry."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("job_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime())
    trigger: Mapped[str] = mapped_column(String(16))
    notebook_path: Mapped[str] = mapped_column(String(4096))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kernel_name: Mapped[str | None] = mapped_column(String(200))
    timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    cell_timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    output_html: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retry_of: Mapped[int | None] = mapped_column(Integer)
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str | None] = mapped_column(String(200))
    #: The scheduler whose claim this run is under, and until when the claim holds; the
    #: executing worker renews it with every heartbeat (see :mod:`nbtools.jobs.leases`).
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: Who started the run (a scheduled run: who created its job).
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cells_total: Mapped[int | None] = mapped_column(Integer)
    cells_done: Mapped[int | None] = mapped_column(Integer)
    current_cell: Mapped[int | None] = mapped_column(Integer)
    notebook_sha256: Mapped[str | None] = mapped_column(String(64))
    error_name: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_cell: Mapped[int | None] = mapped_column(Integer)
    output_dir: Mapped[str | None] = mapped_column(String(4096))
    #: The kinds of output file the run wrote there (``notebook``, ``html``), recorded when it
    #: ends, so that listing runs asks the storage nothing; None for runs ended before.
    outputs: Mapped[list[str] | None] = mapped_column(JSON)
    #: Lineage, filled by run-start hooks of the versioning and environment features.
    notebook_version_id: Mapped[int | None] = mapped_column(Integer)
    env_snapshot_id: Mapped[str | None] = mapped_column(String(128))
    #: Execute this notebook version instead of the file on disk; the run this one reproduces.
    pinned_version_id: Mapped[int | None] = mapped_column(Integer)
    reproduce_of: Mapped[int | None] = mapped_column(Integer)
    #: What the run's data is used for (a job's runs take the job's); see docs/governance.md.
    purpose: Mapped[str | None] = mapped_column(String(64))
    #: A ``skipped`` row stands for the due times from ``scheduled_for`` to ``skipped_until``:
    #: ``skipped_count`` of them (None: more than :data:`nbtools.jobs.missed.COUNT_LIMIT`).
    skipped_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    skipped_count: Mapped[int | None] = mapped_column(Integer)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    #: When the run's outputs were deleted by retention (:mod:`nbtools.jobs.retention`).
    pruned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: The key the run was submitted with (unique: see :mod:`nbtools.jobs.idempotency`).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
