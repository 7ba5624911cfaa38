"""The append-only ``audit`` table (triggers refuse UPDATE and DELETE: migration ``audit_0001``;
a REPLACE of an entry on SQLite and TRUNCATE on PostgreSQL: ``audit_0002``).

A Core ``Table`` on the store's one ``MetaData``: appending an entry (a restore, a dataset
change) needs no ``sqlalchemy.orm``, and works in a Core connection's or an ORM session's
transaction alike."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table

from nbtools.config import MAX_ACTOR
from nbtools.store import utcnow
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime

#: The characters of a target the store keeps (a longer one is kept as its beginning).
MAX_TARGET = 1024

#: Who did what to which object, and a summary of the change (never secret values); named
#: for its rows, as the package ``nbtools.audit`` takes the table's own name.
audit_entries = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False, default=utcnow, index=True),
    Column("actor", String(MAX_ACTOR), nullable=False, index=True),
    Column("action", String(64), nullable=False, index=True),
    Column("target", String(MAX_TARGET), nullable=False),
    Column("summary", JSON, nullable=False, default=dict),
)
