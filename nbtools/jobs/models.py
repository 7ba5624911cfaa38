"""The ORM classes of the jobs feature, mapped onto the Core tables of
:mod:`nbtools.jobs.tables` (where each column is declared, once): the jobs code that creates,
claims and finishes runs works with these objects; a page of runs is read without them.

The annotations only type the mapped attributes for the type checker: the columns, their
types, defaults and constraints are the tables'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped

from nbtools.jobs.tables import jobs_table, runs_table
from nbtools.store.base import Base


class Job(Base):
    """A notebook, its parameters and (optionally) a cron schedule to run it on."""

    __table__ = jobs_table

    id: Mapped[int]
    name: Mapped[str]
    notebook_path: Mapped[str]
    parameters: Mapped[dict[str, Any]]
    cron: Mapped[str | None]
    timezone: Mapped[str]
    paused: Mapped[bool]
    retries: Mapped[int]
    retry_backoff_seconds: Mapped[int]
    timeout_seconds: Mapped[int | None]
    cell_timeout_seconds: Mapped[int | None]
    max_concurrent: Mapped[int]
    output_html: Mapped[bool]
    missed_policy: Mapped[str]
    catch_up_limit: Mapped[int]
    kernel_name: Mapped[str | None]
    pinned_version_id: Mapped[int | None]
    purpose: Mapped[str | None]
    keep_runs: Mapped[str | None]
    idempotency_key: Mapped[str | None]
    next_run_at: Mapped[datetime | None]
    created_by: Mapped[str | None]
    archived_at: Mapped[datetime | None]
    service: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Run(Base):
    """One execution of a notebook: a job's due time, a manual trigger, a rerun or a retry."""

    __table__ = runs_table

    id: Mapped[int]
    job_id: Mapped[int | None]
    scheduled_for: Mapped[datetime | None]
    trigger: Mapped[str]
    notebook_path: Mapped[str]
    parameters: Mapped[dict[str, Any]]
    kernel_name: Mapped[str | None]
    timeout_seconds: Mapped[int | None]
    cell_timeout_seconds: Mapped[int | None]
    output_html: Mapped[bool]
    status: Mapped[str]
    attempt: Mapped[int]
    retry_of: Mapped[int | None]
    not_before: Mapped[datetime | None]
    cancel_requested: Mapped[bool]
    worker: Mapped[str | None]
    lease_owner: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]
    created_by: Mapped[str | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    cells_total: Mapped[int | None]
    cells_done: Mapped[int | None]
    current_cell: Mapped[int | None]
    notebook_sha256: Mapped[str | None]
    error_name: Mapped[str | None]
    error_message: Mapped[str | None]
    error_cell: Mapped[int | None]
    output_dir: Mapped[str | None]
    metric_max_bytes: Mapped[int | None]
    outputs: Mapped[list[str] | None]
    notebook_version_id: Mapped[int | None]
    env_snapshot_id: Mapped[str | None]
    pinned_version_id: Mapped[int | None]
    reproduce_of: Mapped[int | None]
    purpose: Mapped[str | None]
    skipped_until: Mapped[datetime | None]
    skipped_count: Mapped[int | None]
    skip_reason: Mapped[str | None]
    pruned_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None]
