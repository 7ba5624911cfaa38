"""The table of stored environment snapshots, in SQLAlchemy Core.

It is a Core ``Table`` on the store's one ``MetaData``, not an ORM model: storing a snapshot
(``nbtools env snapshot``, every worker's run) then needs no ``sqlalchemy.orm``, whose import
is about a third of SQLAlchemy's (docs/performance.md, "Where a CLI command's time goes").
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from nbtools.store import utcnow
from nbtools.store.metadata import metadata

#: One environment, stored once per content hash; ``captured_at`` is when it was last seen.
env_snapshots = Table(
    "env_snapshots",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("origin", String(1024), nullable=False),
    Column("python_version", String(64)),
    Column("distribution_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("captured_at", DateTime(timezone=True), nullable=False, default=utcnow, index=True),
    Column("document", Text, nullable=False),
)
