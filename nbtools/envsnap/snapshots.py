"""Storing and finding environment snapshots: :func:`save_snapshot`, :func:`get_snapshot` and
:func:`list_snapshots` (:mod:`nbtools.envsnap.kernel_capture` takes them)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nbtools.envsnap.model import SHORT_ID, Snapshot
from nbtools.envsnap.tables import EnvSnapshotRecord
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def save_snapshot(project: Project, snapshot: Snapshot) -> Snapshot:
    """Store ``snapshot`` once per id; storing it again only marks it as seen now."""
    with project.store.session(write=True) as session:
        record = session.get(EnvSnapshotRecord, snapshot.id)
        if record is None:
            try:
                with session.begin_nested():
                    session.add(
                        EnvSnapshotRecord(
                            id=snapshot.id,
                            source=snapshot.source,
                            origin=snapshot.origin[:1024],
                            python_version=snapshot.python_version,
                            distribution_count=len(snapshot.distributions),
                            created_at=snapshot.created_at,
                            captured_at=snapshot.created_at,
                            document=json.dumps(snapshot.to_dict()),
                        )
                    )
                return snapshot
            except IntegrityError:  # another process stored it meanwhile (PostgreSQL)
                record = session.get(EnvSnapshotRecord, snapshot.id)
                assert record is not None
        record.captured_at = snapshot.created_at
        return snapshot.with_created_at(as_utc(record.created_at))


def get_snapshot(project: Project, snapshot_id: str) -> Snapshot:
    """The stored snapshot with this id, or the only one whose id starts with it."""
    prefix = snapshot_id.strip().lower()
    if not prefix or any(char not in "0123456789abcdef" for char in prefix):
        raise NotFoundError(
            f"{snapshot_id!r} is not a snapshot id (ids are hexadecimal). "
            "`nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
        )
    with project.store.session() as session:
        records = session.scalars(
            select(EnvSnapshotRecord).where(EnvSnapshotRecord.id.startswith(prefix)).limit(5)
        ).all()
    if not records:
        raise NotFoundError(
            f"No snapshot {snapshot_id!r}. `nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
        )
    if len(records) > 1:
        raise InvalidInputError(
            f"Snapshot id {snapshot_id!r} is ambiguous: it starts "
            f"{', '.join(record.id[:16] for record in records)}. Give more characters.",
            snapshot=snapshot_id,
        )
    record = records[0]
    document = json.loads(record.document)
    return Snapshot.from_dict(document).with_created_at(as_utc(record.created_at))


def list_snapshots(project: Project) -> list[dict[str, Any]]:
    """Summaries of the stored snapshots, most recently seen first."""
    with project.store.session() as session:
        records = session.scalars(
            select(EnvSnapshotRecord).order_by(EnvSnapshotRecord.captured_at.desc())
        ).all()
        return [
            {
                "id": record.id,
                "short_id": record.id[:SHORT_ID],
                "source": record.source,
                "origin": record.origin,
                "python_version": record.python_version,
                "distribution_count": record.distribution_count,
                "created_at": as_utc(record.created_at).isoformat(),
                "captured_at": as_utc(record.captured_at).isoformat(),
            }
            for record in records
        ]
