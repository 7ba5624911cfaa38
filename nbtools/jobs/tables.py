"""Tables of the jobs feature, in SQLAlchemy Core: job definitions (``jobs``) and their runs
(``runs``), and the states a run goes through.

They are Core ``Table``s on the store's one ``MetaData``, each declared here once: reading a
page of runs (``nbtools runs list``, the server's runs list) needs no ``sqlalchemy.orm``,
whose import is about a third of SQLAlchemy's (docs/performance.md, "Where a CLI command's
time goes"). The ORM classes :class:`~nbtools.jobs.models.Job` and
:class:`~nbtools.jobs.models.Run`, which the rest of the jobs code works with, are mapped onto
these tables; they can be imported from here too, and load the ORM on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from nbtools.config import MAX_ACTOR
from nbtools.lazy import loader
from nbtools.store import utcnow
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime

if TYPE_CHECKING:
    from nbtools.jobs.models import Job, Run

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

#: A notebook, its parameters and (optionally) a cron schedule to run it on.
jobs_table = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("notebook_path", String(4096), nullable=False),
    Column("parameters", JSON, nullable=False, default=dict),
    Column("cron", String(200)),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("paused", Boolean, nullable=False, default=False),
    Column("retries", Integer, nullable=False, default=0),
    Column("retry_backoff_seconds", Integer, nullable=False, default=60),
    Column("timeout_seconds", Integer),
    # seconds one cell may run before the run fails (papermill's ``execution_timeout``)
    Column("cell_timeout_seconds", Integer),
    Column("max_concurrent", Integer, nullable=False, default=1),
    Column("output_html", Boolean, nullable=False, default=False),
    Column("missed_policy", String(16), nullable=False, default=MISSED_RUN_ONCE),
    # under the catch-up policy, at most this many missed due times run (the latest ones)
    Column("catch_up_limit", Integer, nullable=False, default=10, server_default="10"),
    Column("kernel_name", String(200)),
    # run this notebook version instead of the file on disk (lineage feature)
    Column("pinned_version_id", Integer),
    # what the job's data is used for, checked against the datasets' allowed purposes
    Column("purpose", String(64)),
    # how long its runs are kept: "N" (the newest N) or an age ("30d"); None: the project's
    # default (see nbtools.jobs.retention)
    Column("keep_runs", String(16)),
    # the key the job was submitted with (unique: see nbtools.jobs.idempotency)
    Column("idempotency_key", String(200), unique=True),
    Column("next_run_at", UtcDateTime()),
    # who created the job: the authenticated Jupyter user, or the CLI's actor
    Column("created_by", String(MAX_ACTOR)),
    # when the job was deleted without ``purge``: hidden from lists, never scheduled, its
    # runs, metrics and alerts kept readable
    Column("archived_at", UtcDateTime()),
    # the job of a served package's traffic (``nbtools serve --record-to``): its runs are
    # the service's minutes (trigger ``service``); never scheduled, it runs no notebook
    Column("service", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    sqlite_autoincrement=True,  # a purged job's id is never reused (migration jobs_0002)
)

#: One execution of a notebook: a job's due time, a manual trigger, a rerun or a retry.
runs_table = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="SET NULL")),
    Column("scheduled_for", UtcDateTime()),
    Column("trigger", String(16), nullable=False),
    Column("notebook_path", String(4096), nullable=False),
    Column("parameters", JSON, nullable=False, default=dict),
    Column("kernel_name", String(200)),
    Column("timeout_seconds", Integer),
    Column("cell_timeout_seconds", Integer),
    Column("output_html", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, default=QUEUED, index=True),
    Column("attempt", Integer, nullable=False, default=1),
    Column("retry_of", Integer),
    Column("not_before", UtcDateTime()),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("worker", String(200)),
    # the scheduler whose claim this run is under, and until when the claim holds; the
    # executing worker renews it with every heartbeat (see nbtools.jobs.leases)
    Column("lease_owner", String(200)),
    Column("lease_expires_at", UtcDateTime()),
    # who started the run (a scheduled run: who created its job)
    Column("created_by", String(MAX_ACTOR)),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("started_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("heartbeat_at", UtcDateTime()),
    Column("cells_total", Integer),
    Column("cells_done", Integer),
    Column("current_cell", Integer),
    Column("notebook_sha256", String(64)),
    Column("error_name", String(200)),
    Column("error_message", Text),
    Column("error_cell", Integer),
    Column("output_dir", String(4096)),
    # the largest metric value the run keeps (``MetricsSettings.max_value_bytes`` of whoever
    # claimed it), recorded when it starts, so that a run ended by another process than its
    # worker (the reaper, an executor that saw the worker die) is harvested with its own
    # limit; None for runs started before: the default
    Column("metric_max_bytes", Integer),
    # the kinds of output file the run wrote there ("notebook", "html"), recorded when it
    # ends, so that listing runs asks the storage nothing; None for runs ended before
    Column("outputs", JSON),
    # lineage, filled by run-start hooks of the versioning and environment features
    Column("notebook_version_id", Integer),
    Column("env_snapshot_id", String(128)),
    # execute this notebook version instead of the file on disk; the run this one reproduces
    Column("pinned_version_id", Integer),
    Column("reproduce_of", Integer),
    # what the run's data is used for (a job's runs take the job's); see docs/governance.md
    Column("purpose", String(64)),
    # a ``skipped`` row stands for the due times from ``scheduled_for`` to ``skipped_until``:
    # ``skipped_count`` of them (None: more than nbtools.jobs.missed.COUNT_LIMIT)
    Column("skipped_until", UtcDateTime()),
    Column("skipped_count", Integer),
    Column("skip_reason", Text),
    # when the run's outputs were deleted by retention (nbtools.jobs.retention)
    Column("pruned_at", UtcDateTime()),
    # when an erasure request deleted the run's outputs (``nbtools data usage NAME --purge``)
    Column("purged_at", UtcDateTime()),
    # the key the run was submitted with (unique: see nbtools.jobs.idempotency)
    Column("idempotency_key", String(200), unique=True),
    UniqueConstraint("job_id", "scheduled_for"),
    # a job's runs in order: the dashboard reads each job's newest runs (nbtools.jobs.overview)
    Index("ix_runs_job_id_id", "job_id", "id"),
)

#: The schedulers serving the store, each seen as it ticks (:mod:`nbtools.jobs.presence`).
schedulers_table = Table(
    "schedulers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("executor", String(50), nullable=False),
    Column("poll_seconds", Float, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("seen_at", UtcDateTime(), nullable=False, index=True),
)

#: The ORM classes, loaded on first use: name → (module of ``nbtools.jobs``, attribute).
__getattr__ = loader(
    __name__, {"Job": ("models", "Job"), "Run": ("models", "Run")}, package="nbtools.jobs"
)

__all__ = [
    "CANCELLED",
    "ENDED_STATES",
    "FAILED",
    "FINAL_STATES",
    "MISSED_CATCH_UP",
    "MISSED_POLICIES",
    "MISSED_RUN_ONCE",
    "MISSED_SKIP",
    "QUEUED",
    "RUNNING",
    "RUN_STATES",
    "SKIPPED",
    "SUCCEEDED",
    "TIMED_OUT",
    "Job",
    "Run",
    "jobs_table",
    "runs_table",
    "schedulers_table",
]
