"""Run events: how features above ``jobs`` (lineage, monitoring, …) follow jobs and runs.

``jobs`` imports nothing above it. Instead, at each moment below it calls the functions of
that name in every *subscriber module* listed in :data:`SUBSCRIBERS` (a module defines only
the events it follows):

=====================  ==========================================  ===========================
function               when, and what it gets                      what it returns
=====================  ==========================================  ===========================
``run_started``        the runner has read the bytes it will run   lineage columns, stored on
                       (:class:`RunStarted`; a background thread   the run at once (a run
                       while the notebook executes)                killed later keeps them)
``run_finishing``      a run is about to end, before the write     a callback run inside the
                       transaction (:class:`RunFinishing`: read    transaction that ends the
                       files here)                                 run (:class:`RunFinished`)
``runs_described``     a page of runs (or one run's detail)        run id → extra fields
                       becomes wire models (:class:`RunsDescribed`:
                       one call a page)
``jobs_described``     the dashboard's jobs become wire models     job id → extra fields
                       (:class:`JobsDescribed`: one call a page)
``jobs_checked``       a scheduler's periodic check                ids of alerts raised
                       (:class:`JobsChecked`, in its transaction)
``job_saved``          a job was created, changed, paused or       nothing
                       resumed (committed; :class:`JobSaved`)
``job_deleted``        a job was archived or deleted (committed)   nothing
``run_requested``      a job is saved, a run queued or about to    nothing: raises to refuse
                       take its kernel (:class:`RunRequested`)
``run_queued``         someone queued a run: by hand, a job's      nothing
                       "run now", a rerun (in the transaction
                       inserting it, :class:`RunQueued`)
``run_cancelled``      someone asked a run to stop (committed)     nothing
``runs_expiring``      retention looks for expired runs            run id → why it expired
                       (:class:`RunsExpiring`)                     (e.g. a dataset's retention)
``runs_pruned``        runs' outputs were deleted (committed;      nothing: drop what the
                       :class:`RunsPruned`)                        subscriber keeps for them
=====================  ==========================================  ===========================

Subscribers are named by import path, not registered at import time, so that a worker process,
which imports only ``jobs``, finds them: each module is imported on its first event. The
audit trail of jobs and runs is itself a subscriber (:mod:`nbtools.jobs.trail`), so the
functions that change jobs and runs only publish what happened and who did it (``actor``).
A failing ``run_started``, ``run_finished`` or ``runs_pruned`` subscriber is logged and never
fails the run or the prune; the other events raise what their subscribers raise.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.jobs.tables import Job
    from nbtools.project import Project
    from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: The subscriber modules, in the order their functions are called.
SUBSCRIBERS: tuple[str, ...] = (
    "nbtools.jobs.trail",
    "nbtools.lineage.events",
    "nbtools.metrics.events",
    "nbtools.data.events",
    "nbtools.artifacts.events",
    "nbtools.openlineage.events",
)

#: The run columns ``run_started`` subscribers may set.
LINEAGE_COLUMNS = frozenset({"notebook_version_id", "env_snapshot_id"})


@dataclass(frozen=True)
class RunStarted:
    """A starting run: exactly the bytes it is about to execute."""

    project: Project
    run_id: int
    notebook_path: str
    absolute_path: Path
    content: bytes
    kernel_name: str
    #: The notebook version the run executes instead of the file on disk, if pinned.
    pinned_version_id: int | None = None
    #: Who the run acts for (its ``created_by``: who started it, a scheduled run's job's
    #: creator), whom what it records names; None for a run recorded before anyone was.
    actor: str | None = None


@dataclass(frozen=True)
class RunFinishing:
    """A run about to end (no transaction open): ``output_dir`` holds its executed notebook."""

    store: Store
    run_id: int
    output_dir: str | None
    #: The largest metric value kept: the ``MetricsSettings.max_value_bytes`` the run was
    #: claimed with, whichever process ends it.
    metric_max_bytes: int


@dataclass(frozen=True)
class RunFinished:
    """A run ending, inside the transaction that ends it (the subscriber's own savepoint)."""

    session: Session
    run_id: int
    now: datetime
    #: True when no retry follows: the run's job has its last word for this occasion.
    final: bool


class DescribedRun(Protocol):
    """What a ``runs_described`` subscriber may read of a run: a list gives
    :class:`nbtools.jobs.runs.RunRow` tuples (no ORM objects), other views :class:`Run`s."""

    @property
    def id(self) -> int: ...
    @property
    def notebook_version_id(self) -> int | None: ...
    @property
    def env_snapshot_id(self) -> str | None: ...
    @property
    def pinned_version_id(self) -> int | None: ...
    @property
    def purpose(self) -> str | None: ...


@dataclass(frozen=True)
class RunsDescribed:
    """Runs becoming wire models, read in ``connection`` (a SQLAlchemy Core connection, in
    its open transaction: a page of runs is read without the ORM, so subscribers query with
    Core statements)."""

    project: Project
    connection: Connection
    runs: Sequence[DescribedRun]
    #: True for one run shown alone: subscribers add the fields only a detail shows.
    detail: bool = False
    #: True for runs just queued, in the reply to their submission: nothing has executed,
    #: so nothing refers to them yet (datasets, artifacts) and subscribers answer their
    #: empty fields without a query.
    queued: bool = False


@dataclass(frozen=True)
class JobsDescribed:
    """Jobs becoming the dashboard's wire models, loaded in ``session`` (still open)."""

    project: Project
    session: Session
    jobs: Sequence[Job]


@dataclass(frozen=True)
class JobsChecked:
    """A scheduler's periodic check of every job, in its write transaction."""

    session: Session
    now: datetime


@dataclass(frozen=True)
class JobSaved:
    """A job created or changed; ``pinned_version_id`` is the version it runs, if pinned.

    ``action`` is ``job.create``, ``job.edit``, ``job.pause`` or ``job.resume``; ``changed``
    names the fields an edit changed."""

    project: Project
    job_id: int
    pinned_version_id: int | None
    actor: str | None = None
    action: str = "job.edit"
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunRequested:
    """A job being created or changed, or a run about to be queued or to take its kernel:
    the notebook (``content``: the exact bytes a starting run executes) and its purpose."""

    project: Project
    notebook_path: str
    purpose: str | None
    content: bytes | None = None
    pinned_version_id: int | None = None
    #: Who asked (``None``: the process's default actor, e.g. a scheduler starting a run).
    actor: str | None = None
    #: What was asked, as the trail names it (``job.create``, ``job.edit``, ``run.submit``,
    #: ``run.rerun``, ``run.start``): a refusal's audit entry says what it refused.
    during: str | None = None


@dataclass(frozen=True)
class JobDeleted:
    """A job archived, or deleted for good with ``purge``; ``cancelled``: the ids of its
    queued runs that ended with it."""

    project: Project
    job_id: int
    actor: str | None = None
    purge: bool = False
    cancelled: tuple[int, ...] = ()


@dataclass(frozen=True)
class RunQueued:
    """A run someone queued (``trigger``: ``manual``, ``cli``, ``reproduce``, ``rerun``, …),
    inside the transaction that inserts it: what a subscriber writes in ``session`` stands or
    falls with the run, and a submission takes the write lock once."""

    session: Session
    run_id: int
    actor: str | None
    trigger: str
    notebook_path: str
    job_id: int | None


@dataclass(frozen=True)
class RunCancelled:
    """Someone asked run ``run_id`` to stop; ``status`` is its status after the request."""

    store: Store
    run_id: int
    actor: str | None
    status: str


@dataclass(frozen=True)
class RunsExpiring:
    """Retention's question, in a read session: which ended runs, not pruned yet, have
    expired by the subscriber's own rules at ``now``."""

    session: Session
    now: datetime


@dataclass(frozen=True)
class RunsPruned:
    """The outputs of ``run_ids`` were deleted by ``actor``; ``summary`` says under which
    rules (for the audit trail)."""

    project: Project
    run_ids: Sequence[int]
    actor: str | None
    summary: dict[str, Any]


@cache
def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _handlers(event: str, subscribers: Sequence[str]) -> list[Callable[..., Any]]:
    found = (getattr(_module(name), event, None) for name in subscribers)
    return [handler for handler in found if handler is not None]


def run_started(event: RunStarted, subscribers: Sequence[str] = SUBSCRIBERS) -> dict[str, Any]:
    """Call every ``run_started`` subscriber and merge the lineage columns they return."""
    columns: dict[str, Any] = {}
    for handler in _handlers("run_started", subscribers):
        for column, value in (handler(event) or {}).items():
            if column not in LINEAGE_COLUMNS:
                raise ValueError(f"{handler.__module__}.run_started set unknown column {column!r}.")
            columns[column] = value
    return columns


class RunStartedInBackground(threading.Thread):
    """Delivers :func:`run_started` in a background thread while the run executes, and stores
    the columns the subscribers return on the run as soon as they have: a run whose worker is
    killed, or stopped, before it records its end keeps them (whoever ends it).

    A failing subscriber is logged and leaves the run without its columns; it never fails the
    run. A store that cannot take the columns now leaves them to the run's end (:meth:`result`).
    """

    def __init__(self, event: RunStarted, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
        super().__init__(name=f"nbtools-run-started-{event.run_id}", daemon=True)
        self._event, self._subscribers = event, subscribers
        self._columns: dict[str, Any] = {}
        self.start()

    def run(self) -> None:
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        try:
            self._columns = run_started(self._event, self._subscribers)
            if self._columns:
                _store_columns(self._event, self._columns)
        except SQLAlchemyError as error:  # the store is unreachable: one line, not a bug
            reason = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()[0]
            log.warning(
                "nbtools: run %s: its lineage was not recorded: the store could not be "
                "reached (%s)",
                self._event.run_id,
                reason,
            )
        except Exception:
            log.exception("nbtools: run %s: a run_started subscriber failed", self._event.run_id)

    def result(self) -> dict[str, Any]:
        """The columns to store, once every subscriber has returned."""
        self.join()
        return self._columns


def _store_columns(event: RunStarted, columns: dict[str, Any]) -> None:
    """Store ``columns`` on the started run, whatever its state (a run already ended as lost
    still executed that version, in that environment)."""
    from sqlalchemy import update

    from nbtools.jobs.tables import runs_table

    with event.project.store.session(write=True) as session:
        session.execute(update(runs_table).where(runs_table.c.id == event.run_id).values(**columns))


#: What a ``run_finishing`` subscriber returns: its work inside the finishing transaction.
FinishWork = Callable[[RunFinished], object]


def run_finishing(
    event: RunFinishing, subscribers: Sequence[str] = SUBSCRIBERS
) -> list[FinishWork]:
    """Let subscribers read what they need before the transaction; their work for inside it.

    A subscriber that fails here is logged and skipped: the run ends anyway. A database
    error is let through: the store is unreachable, and the run's end is retried whole."""
    from sqlalchemy.exc import SQLAlchemyError

    work: list[FinishWork] = []
    for handler in _handlers("run_finishing", subscribers):
        try:
            found = handler(event)
        except SQLAlchemyError:
            raise
        except Exception:
            log.exception("nbtools: run %s: a run_finishing subscriber failed", event.run_id)
            continue
        if found is not None:
            work.append(found)
    return work


def run_finished(work: Sequence[FinishWork], event: RunFinished) -> None:
    """Do each subscriber's work in its own savepoint; a failure is logged and rolled back."""
    for step in work:
        try:
            with event.session.begin_nested():
                step(event)
        except Exception:
            log.exception("nbtools: run %s: a run_finished subscriber failed", event.run_id)


def runs_described(
    event: RunsDescribed, subscribers: Sequence[str] = SUBSCRIBERS
) -> dict[int, dict[str, Any]]:
    """Run id → the fields subscribers add to its wire model (each subscriber once a page)."""
    extra: dict[int, dict[str, Any]] = {run.id: {} for run in event.runs}
    for handler in _handlers("runs_described", subscribers):
        for run_id, fields in handler(event).items():
            extra[run_id].update(fields)
    return extra


def jobs_described(
    event: JobsDescribed, subscribers: Sequence[str] = SUBSCRIBERS
) -> dict[int, dict[str, Any]]:
    """Job id → the fields subscribers add to its dashboard row (each subscriber once)."""
    extra: dict[int, dict[str, Any]] = {job.id: {} for job in event.jobs}
    for handler in _handlers("jobs_described", subscribers):
        for job_id, fields in handler(event).items():
            extra[job_id].update(fields)
    return extra


def jobs_checked(event: JobsChecked, subscribers: Sequence[str] = SUBSCRIBERS) -> list[int]:
    """The ids of the alerts subscribers raised in the periodic check."""
    raised: list[int] = []
    for handler in _handlers("jobs_checked", subscribers):
        raised += handler(event)
    return raised


def job_saved(event: JobSaved, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    for handler in _handlers("job_saved", subscribers):
        handler(event)


def run_requested(event: RunRequested, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    """Let subscribers refuse a job or run before anything is written or a kernel is taken
    (the data catalog's usage rule raises :class:`~nbtools.errors.PolicyRefusedError`)."""
    for handler in _handlers("run_requested", subscribers):
        handler(event)


def job_deleted(event: JobDeleted, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    for handler in _handlers("job_deleted", subscribers):
        handler(event)


def run_queued(event: RunQueued, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    for handler in _handlers("run_queued", subscribers):
        handler(event)


def run_cancelled(event: RunCancelled, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    for handler in _handlers("run_cancelled", subscribers):
        handler(event)


def runs_expiring(event: RunsExpiring, subscribers: Sequence[str] = SUBSCRIBERS) -> dict[int, str]:
    """Run id → why it expired, merged over the subscribers (the first reason given wins)."""
    expired: dict[int, str] = {}
    for handler in _handlers("runs_expiring", subscribers):
        for run_id, reason in handler(event).items():
            expired.setdefault(run_id, reason)
    return expired


def runs_pruned(event: RunsPruned, subscribers: Sequence[str] = SUBSCRIBERS) -> None:
    """Tell every subscriber; one failing is logged and the others still run (the runs are
    pruned already)."""
    for handler in _handlers("runs_pruned", subscribers):
        try:
            handler(event)
        except Exception:
            log.exception("nbtools: a runs_pruned subscriber failed for runs %s", event.run_ids)
