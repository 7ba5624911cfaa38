"""OpenLineage's subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_started``: a ``START`` event (in the runner's background thread), once the store
  records that the run owes its terminal event (:mod:`.owed`); the terminal events other
  runs still owe are sent with it.
- ``run_finishing``: a callback, run inside the transaction that ends the run (after the
  catalog stored the datasets the run used), that queues the terminal events owed:
  ``COMPLETE``, ``FAIL`` or ``ABORT``, with the datasets the run used as inputs and outputs
  (each with the schema of the dataset the use names by its ``uid``).
- ``jobs_checked``: a scheduler's periodic check sends the terminal events owed by runs that
  a process without the settings ended (a reader reaping a lost run, a server without them).

All do nothing, and import nothing of the client, while OpenLineage is off in the process
(the default: neither our settings nor the client's own configuration name a transport).
A run without a ``START`` (started where OpenLineage was off) gets no terminal event either.
A retry is a run of its own (its own run id); the job is the nbtools job (its name), or the
notebook's path for a run without a job.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nbtools.openlineage.settings import enabled

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from nbtools.jobs.events import JobsChecked, RunFinished, RunFinishing, RunStarted
    from nbtools.openlineage.emitter import RunFacts

log = logging.getLogger(__name__)


def run_started(event: RunStarted) -> dict[str, Any]:
    if (chosen := enabled()) is None:
        return {}
    from sqlalchemy.exc import SQLAlchemyError

    from nbtools.openlineage.emitter import emit, run_event
    from nbtools.openlineage.owed import owe, send_owed

    try:
        with event.project.store.session(write=True) as session:
            facts = facts_of(session, event.run_id)
            run_uuid = owe(session, event.run_id, chosen.namespace, event.project.root)
            send_owed(session)
    except SQLAlchemyError as error:  # no START: the run then owes no terminal event either
        log.warning("nbtools: run %s: no OpenLineage START (store: %s)", event.run_id, error)
        return {}
    emit(run_event("START", facts, [], _now(), chosen.namespace, run_uuid))
    return {}


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None] | None:
    if enabled() is None:
        return None
    return _send_owed


def _send_owed(done: RunFinished) -> None:
    from nbtools.openlineage.owed import send_owed

    send_owed(done.session)


def jobs_checked(event: JobsChecked) -> list[int]:
    if enabled() is not None:
        from nbtools.openlineage.owed import send_owed

        send_owed(event.session)
    return []  # no alerts


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def facts_of(session: Session, run_id: int) -> RunFacts:
    """What the events of run ``run_id`` say about it, read in ``session``."""
    from nbtools.jobs.models import Job, Run
    from nbtools.openlineage.emitter import RunFacts

    run = session.execute(
        select(Run).where(Run.id == run_id).execution_options(populate_existing=True)
    ).scalar_one()
    job = session.get(Job, run.job_id) if run.job_id is not None else None
    return RunFacts(
        run_id=run.id,
        job_name=job.name if job is not None else run.notebook_path,
        notebook_path=run.notebook_path,
        trigger=run.trigger,
        attempt=run.attempt,
        purpose=run.purpose,
        parameters=dict(run.parameters or {}),
        notebook_version_id=run.notebook_version_id,
        env_snapshot_id=run.env_snapshot_id,
        pinned_version_id=run.pinned_version_id,
        error=f"{run.error_name}: {run.error_message}" if run.error_name else None,
    )
