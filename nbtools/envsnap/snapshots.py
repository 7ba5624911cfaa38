"""Storing and finding environment snapshots: :func:`save_snapshot`, :func:`get_snapshot` and
:func:`list_snapshots` (:mod:`nbtools.envsnap.kernel_capture` takes them).

They use SQLAlchemy Core (``Store.connection``, the ``env_snapshots`` table): a command that
takes or reads snapshots imports no ``sqlalchemy.orm``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from nbtools.envsnap.model import ID_LENGTH, SHORT_ID, Snapshot
from nbtools.envsnap.tables import env_snapshots
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def save_snapshot(project: Project, snapshot: Snapshot) -> Snapshot:
    """Store ``snapshot`` once per id; storing it again only marks it as seen now, and
    returns it as stored (its first origin: the file or kernel it was first taken from)."""
    return store_snapshot(project, snapshot)[0]


def store_snapshot(project: Project, snapshot: Snapshot) -> tuple[Snapshot, bool]:
    """:func:`save_snapshot`, and whether this call stored it (False: it was stored
    already, the same pins taken from another file or kernel perhaps)."""
    table = env_snapshots
    first_seen = select(table.c.created_at, table.c.origin).where(table.c.id == snapshot.id)
    with project.store.connection(write=True) as connection:
        stored = connection.execute(first_seen).first()
        if stored is None:
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(table).values(
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
                return snapshot, True
            except IntegrityError:  # another process stored it meanwhile (PostgreSQL)
                stored = connection.execute(first_seen).first()
                assert stored is not None
        connection.execute(
            update(table).where(table.c.id == snapshot.id).values(captured_at=snapshot.created_at)
        )
        seen = snapshot.seen(as_utc(stored.created_at), snapshot.created_at)
        return replace(seen, origin=stored.origin), False


def looks_like_id(text: str) -> bool:
    """Whether ``text`` could be a snapshot id or the start of one: hexadecimal digits only."""
    prefix = text.strip().lower()
    return bool(prefix) and all(char in "0123456789abcdef" for char in prefix)


def get_snapshot(project: Project, snapshot_id: str, field: str = "snapshot") -> Snapshot:
    """The stored snapshot with this id, or the only one whose id starts with it; errors name
    the input as ``field``."""
    prefix = snapshot_id.strip().lower()
    if len(prefix) > ID_LENGTH:
        raise InvalidInputError(
            f"{snapshot_id!r:.40}… ({len(prefix)} characters) is not a snapshot id: an id has "
            f"{ID_LENGTH} hexadecimal characters, and any unique prefix of one names it.",
            field=field,
        )
    if not looks_like_id(prefix):
        raise NotFoundError(
            f"{snapshot_id!r} is not a snapshot id (ids are hexadecimal). "
            "`nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
            field=field,
        )
    table = env_snapshots
    with project.store.connection() as connection:
        records = connection.execute(
            select(table.c.id, table.c.created_at, table.c.captured_at, table.c.document)
            .where(table.c.id.startswith(prefix))
            .limit(5)
        ).all()
    if not records:
        raise NotFoundError(
            f"No snapshot {snapshot_id!r}. `nbtools env list` shows the stored snapshots.",
            snapshot=snapshot_id,
            field=field,
        )
    if len(records) > 1:
        raise InvalidInputError(
            f"Snapshot id {snapshot_id!r} is ambiguous: it starts "
            f"{', '.join(record.id[:16] for record in records)}. Give more characters.",
            snapshot=snapshot_id,
            field=field,
        )
    record = records[0]
    document = json.loads(record.document)
    return Snapshot.from_dict(document).seen(as_utc(record.created_at), as_utc(record.captured_at))


def list_snapshots(project: Project) -> list[dict[str, Any]]:
    """Summaries of the stored snapshots, most recently seen first."""
    table = env_snapshots
    with project.store.connection() as connection:
        summary = [column for column in table.c if column.name != "document"]
        records = connection.execute(select(*summary).order_by(table.c.captured_at.desc())).all()
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
