"""The terminal events runs owe the lineage catalog, kept in the store until sent.

A process with the OpenLineage settings that sends a run's ``START`` records, in the same
transaction that reads the run, that the run owes its terminal event (:data:`owed_events`:
its OpenLineage run id, namespace and project root). Whichever process ends the run — its
worker, or a reader or scheduler that reaps it, with or without the settings — the event is
sent by the first process with the settings that sees the run ended: the one ending it, the
next run's start, or a scheduler's periodic check (the Jupyter server's included). Each is
sent once: the row is deleted in the transaction that queues the event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from nbtools.jobs.tables import FINAL_STATES, runs_table
from nbtools.openlineage.tables import owed_events

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.openlineage.emitter import DatasetUse

log = logging.getLogger(__name__)


def owe(session: Session, run_id: int, namespace: str, root: Path) -> str:
    """Record that run ``run_id``, starting, owes its terminal event: its new OpenLineage run
    id (a UUIDv7: unique whatever the store, the project or the copy of a store)."""
    from nbtools.openlineage.emitter import new_run_uuid

    run_uuid = new_run_uuid()
    session.execute(
        insert(owed_events).values(
            run_id=run_id, run_uuid=run_uuid, namespace=namespace, root=str(root)
        )
    )
    return run_uuid


def send_owed(session: Session) -> list[int]:
    """Queue the terminal event of every ended run that owes one, and forget it (in
    ``session``'s write transaction); the ids of those runs."""
    from nbtools.openlineage.emitter import STATES, emit, run_event
    from nbtools.openlineage.events import facts_of

    column = runs_table.c
    owed = session.execute(
        select(owed_events, column.status, column.finished_at)
        .join(runs_table, column.id == owed_events.c.run_id)
        .where(column.status.in_(FINAL_STATES))
        .order_by(owed_events.c.run_id)
    ).all()
    sent = []
    for row in owed:
        gone = session.execute(delete(owed_events).where(owed_events.c.run_id == row.run_id))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another process sent it
        when = _utc(row.finished_at).isoformat()
        facts = facts_of(session, row.run_id)
        uses = uses_of(session, row.run_id, Path(row.root))
        emit(run_event(STATES[row.status], facts, uses, when, row.namespace, row.run_uuid))
        sent.append(row.run_id)
    return sent


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def uses_of(session: Session, run_id: int, root: Path) -> list[DatasetUse]:
    """The datasets the run used, located as at the run (a root-relative location under the
    project ``root`` the run started in, whichever process reads it), each with the schema of
    the dataset it used: the one its use names by identity (``dataset_uid``), not whatever
    the catalog holds under its name now (another dataset, when the one used was removed and
    a name catalogued again while the run ran); none when that dataset has left the catalog."""
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
            use.location if "://" in use.location else str(root / use.location),
            use.mode,
            tuple(fields or ()),
        )
        for use, fields in rows
    ]
