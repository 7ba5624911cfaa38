"""Ending runs whose executor is gone, so no run stays "running" forever.

A running run's worker writes a heartbeat every second or so. When heartbeats stop (the
worker or its machine was killed) the reaper fails the run — or marks it cancelled if a
cancel was requested — and the usual retry policy applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from nbtools.jobs import runs
from nbtools.jobs.models import CANCELLED, FAILED, RUNNING, Run

if TYPE_CHECKING:
    from nbtools.store.database import Store

#: Seconds without a heartbeat after which a running run is considered lost.
STALE_AFTER_SECONDS = 30.0


def end_lost_run(store: Store, run: Run, reason: str, stale_before: datetime | None = None) -> bool:
    """End ``run`` as failed (or cancelled, if asked) because its executor is gone."""
    status = CANCELLED if run.cancel_requested else FAILED
    return runs.finish(
        store,
        run.id,
        None,
        status,
        stale_before=stale_before,
        error_name="WorkerLost",
        error_message=reason,
        error_cell=run.current_cell,
    )


def reap(store: Store, now: datetime, stale_after: float = STALE_AFTER_SECONDS) -> list[int]:
    """End every running run whose last heartbeat is older than ``stale_after`` seconds."""
    cutoff = now - timedelta(seconds=stale_after)
    with store.session() as session:
        stale = list(
            session.scalars(select(Run).where(Run.status == RUNNING, Run.heartbeat_at < cutoff))
        )
    reason = (
        f"The executor running this run stopped responding (no heartbeat for {stale_after:.0f} "
        "s): it was killed or its machine restarted."
    )
    return [run.id for run in stale if end_lost_run(store, run, reason, stale_before=cutoff)]


def end_run_of_dead_worker(store: Store, run_id: int) -> bool:
    """End a run whose worker process the executor saw exit mid-run."""
    with store.session() as session:
        run = session.get(Run, run_id)
    if run is None or run.status != RUNNING:
        return False
    return end_lost_run(store, run, "The worker process executing this run exited unexpectedly.")
