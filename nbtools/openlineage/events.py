"""OpenLineage's subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_started``: a ``START`` event (in the runner's background thread).
- ``run_finishing``: a callback, run inside the transaction that ends the run (after the
  catalog stored the datasets the run used), that reads the run's outcome and datasets and
  queues ``COMPLETE``, ``FAIL`` or ``ABORT`` with them as inputs and outputs (each with the
  schema of the dataset the use names by its ``uid``).

Both do nothing, and import nothing of the client, while OpenLineage is off (the default:
neither our settings nor the client's own configuration name a transport).
A retry is a run of its own (its own run id); the job is the nbtools job (its name), or the
notebook's path for a run without a job.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nbtools.openlineage.settings import enabled

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from nbtools.jobs.events import RunFinished, RunFinishing, RunStarted
    from nbtools.openlineage.emitter import DatasetUse, RunFacts


#: Run id → project root, from START to the run's end in this process (the end's event
#: carries only the store; a dataset's root-relative location needs the root).
_roots: dict[int, Path] = {}


def run_started(event: RunStarted) -> dict[str, Any]:
    if (chosen := enabled()) is None:
        return {}
    from nbtools.openlineage.emitter import emit, run_event

    _roots[event.run_id] = event.project.root
    with event.project.store.session() as session:
        facts = _facts(session, event.run_id)
    emit(run_event("START", facts, [], _now(), chosen.namespace))
    return {}


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None] | None:
    if (chosen := enabled()) is None:
        return None
    root = _roots.pop(event.run_id, None)

    def finished(done: RunFinished) -> None:
        from nbtools.jobs.models import Run
        from nbtools.openlineage.emitter import STATES, emit, run_event

        run = done.session.execute(
            select(Run).where(Run.id == done.run_id).execution_options(populate_existing=True)
        ).scalar_one()
        state = STATES.get(run.status)
        if state is None:
            return
        facts = _facts(done.session, done.run_id)
        uses = _uses(done.session, done.run_id, root)
        emit(run_event(state, facts, uses, done.now.isoformat(), chosen.namespace))

    return finished


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _facts(session: Session, run_id: int) -> RunFacts:
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


def _uses(session: Session, run_id: int, root: Path | None) -> list[DatasetUse]:
    """The datasets the run used, located as at the run (a root-relative location is made
    absolute when the root is known), each with the schema of the dataset it used: the one
    its use names by identity (``dataset_uid``), not whatever the catalog holds under its
    name now (another dataset, when the one used was removed and a name catalogued again
    while the run ran); none when that dataset has left the catalog."""
    from nbtools.data.models import DatasetRecord, RunDatasetRecord
    from nbtools.openlineage.emitter import DatasetUse

    rows = session.execute(
        select(RunDatasetRecord, DatasetRecord.schema_fields)
        .outerjoin(DatasetRecord, DatasetRecord.uid == RunDatasetRecord.dataset_uid)
        .where(RunDatasetRecord.run_id == run_id)
        .order_by(RunDatasetRecord.id)
    ).all()
    return [
        DatasetUse(
            use.dataset,
            _url(root, use.location),
            use.mode,
            tuple(fields or ()),
        )
        for use, fields in rows
    ]


def _url(root: Path | None, location: str) -> str:
    if "://" in location or root is None:
        return location
    return str(root / location)
