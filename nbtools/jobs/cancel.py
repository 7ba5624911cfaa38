"""Cancelling a run: at once while it is queued, else by asking its executor to stop it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.errors import ConflictError
from nbtools.jobs import events
from nbtools.jobs.runs import get_run
from nbtools.jobs.tables import CANCELLED, ENDED_STATES, QUEUED, RUNNING
from nbtools.store import utcnow

if TYPE_CHECKING:
    from nbtools.jobs.models import Run
    from nbtools.store.database import Store


def request_cancel(store: Store, run_id: int, actor: str | None = None) -> Run:
    """Cancel a queued run now, or ask the executor of a running run to stop it (audited as
    ``run.cancel`` by ``actor``).

    A running run whose lease already expired has no executor left to ask: it ends
    ``cancelled`` at once (as the reaper would end it).
    """
    now = utcnow()
    with store.session(write=True) as session:
        run = get_run(session, run_id)
        if run.status in ENDED_STATES:
            raise ConflictError(f"Run {run_id} already ended ({run.status}); nothing to cancel.")
        run.cancel_requested = True
        if run.status == QUEUED:
            run.status = CANCELLED
            run.finished_at = now
    if run.status == RUNNING and run.lease_expires_at is not None and run.lease_expires_at < now:
        from nbtools.jobs.reaper import end_lost_run  # the reaper ends runs through this module

        end_lost_run(store, run, "Cancelled; its executor had stopped responding.", expired_at=now)
        with store.session() as session:
            run = get_run(session, run_id)
    events.run_cancelled(events.RunCancelled(store, run_id, actor, run.status))
    return run
