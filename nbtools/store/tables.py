"""Tables of the foundation: store information and the notebooks the project knows.

Core ``Table`` objects on the store's one ``MetaData``, not ORM models: recording a version
(``nbtools version save``) then needs no ``sqlalchemy.orm`` (docs/performance.md, "Where a
CLI command's time goes").
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table

from nbtools.store import utcnow
from nbtools.store.metadata import metadata

#: Key/value facts about the store itself (who created it, with which version).
store_info = Table(
    "store_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(1024), nullable=False),
)

#: A notebook's identity: its history follows it when it is renamed or moved.
notebooks = Table(
    "notebooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", String(4096), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
)
