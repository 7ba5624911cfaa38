"""Ending runs whose executor is gone, so no run stays "running" forever.

A running run's worker renews its lease with a heartbeat every second or so. When the lease
expires (the worker, its scheduler or its machine was killed, or it lost the database for
longer than the lease) the reaper fails the run — or marks it cancelled if a cancel was
requested — and the usual retry policy applies. A worker that finds its lease gone stops
its kernel, so the retry never runs beside the original.

A run ended here keeps what its worker left in the output directory it recorded when it
started: its executed notebook as far as it was saved becomes its output, and the run's
end (``run_finishing``) reads it and the run's record of data uses as for any run, so the
datasets it used are its own (:mod:`nbtools.data.events`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from sqlalchemy import select

from nbtools.errors import NotFoundError
from nbtools.jobs import run_files, runs
from nbtools.jobs.tables import CANCELLED, FAILED, RUNNING, runs_table

if TYPE_CHECKING:
    from nbtools.store.database import Store

log = logging.getLogger(__name__)


class LostRun(Protocol):
    """What ending a lost run reads of it (a :class:`~nbtools.jobs.models.Run` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def cancel_requested(self) -> bool: ...
    @property
    def current_cell(self) -> int | None: ...


class RunningRow(NamedTuple):
    """A running run as ending it lost reads it, in SQLAlchemy Core: every reader of runs
    looks for lost ones first (:func:`reap_expired`), and a list imports no ORM."""

    id: int
    cancel_requested: bool
    current_cell: int | None
    heartbeat_at: datetime | None
    lease_owner: str | None


_EXPIRED_COLUMNS = tuple(runs_table.c[name] for name in RunningRow._fields)


def end_lost_run(
    store: Store,
    run: LostRun,
    reason: str,
    *,
    expired_at: datetime | None = None,
    lease_owner: str | None = None,
) -> bool:
    """End ``run`` as failed (or cancelled, if asked) because its executor is gone."""
    status = CANCELLED if run.cancel_requested else FAILED
    return runs.finish(
        store,
        run.id,
        None,
        status,
        expired_at=expired_at,
        lease_owner=lease_owner,
        error_name="WorkerLost",
        error_message=reason,
        error_cell=run.current_cell,
        **_left_outputs(store, run.id),
    )


def _left_outputs(store: Store, run_id: int) -> dict[str, Any]:
    """The ``outputs`` column of a run ended by another process than its worker: the files
    the worker left in the output directory the run recorded when it started, listed,
    purged and pruned as any run's. Nothing for a run that recorded none (its outputs were
    to be uploaded when it ended) or that is gone."""
    try:
        left = run_files.ending_outputs(store, run_id, None)
    except NotFoundError:
        return {}
    except OSError as error:  # its directory cannot be looked in: the run still ends
        log.warning("nbtools: cannot list what run %s left: %s", run_id, error)
        return {}
    return {} if left.directory is None else {"outputs": left.kinds}


def reap(store: Store, now: datetime) -> list[int]:
    """End every running run whose lease expired before ``now``."""
    column = runs_table.c
    query = select(*_EXPIRED_COLUMNS).where(column.status == RUNNING, column.lease_expires_at < now)
    with store.connection() as connection:
        expired = [RunningRow._make(row) for row in connection.execute(query)]
    reason = (
        "The executor running this run stopped responding: its lease expired with no heartbeat "
        "since {beat} (it was killed, its machine restarted or it lost the database)."
    )
    return [
        run.id
        for run in expired
        if end_lost_run(store, run, reason.format(beat=_iso(run.heartbeat_at)), expired_at=now)
    ]


def reap_expired(store: Store) -> list[int]:
    """:func:`reap` as a reader of runs does it: every process that shows runs (the CLI, the
    server) ends the lost ones first, so a list tells the truth without a scheduler running.

    A store that cannot be written now (read-only, locked, full) is left as it is: the
    list is shown anyway and the next reader tries again.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from nbtools.store import utcnow

    try:
        return reap(store, utcnow())
    except SQLAlchemyError:
        return []


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "its start"


def end_run_of_dead_worker(store: Store, run_id: int, lease_owner: str, reason: str) -> bool:
    """End a run whose worker the executor saw die, if it is still under ``lease_owner``."""
    column = runs_table.c
    query = select(*_EXPIRED_COLUMNS).where(column.id == run_id, column.status == RUNNING)
    with store.connection() as connection:
        found = connection.execute(query).first()
    run = None if found is None else RunningRow._make(found)
    if run is None or run.lease_owner != lease_owner:
        return False
    return end_lost_run(store, run, reason, lease_owner=lease_owner)


def end_run_with_error(store: Store, run_id: int, lease_owner: str, error: BaseException) -> bool:
    """End a run whose task raised ``error`` outside the run's own handling (its output
    directory could not be made, its end not recorded), if it is still running under
    ``lease_owner``: failed with the error's name and message, as a run that raised in a cell.
    A run that recorded its end first keeps it."""
    return runs.finish(
        store,
        run_id,
        None,
        FAILED,
        lease_owner=lease_owner,
        error_name=type(error).__name__,
        error_message=str(error) or type(error).__name__,
        **_left_outputs(store, run_id),
    )
