"""The run events owed to the lineage catalog, in SQLAlchemy Core.

A run whose ``START`` was sent owes the catalog its terminal event (``COMPLETE``, ``FAIL`` or
``ABORT``) until a process with the OpenLineage settings sends it, whichever process ended
the run (:mod:`nbtools.openlineage.owed`).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table

from nbtools.store import utcnow
from nbtools.store.metadata import metadata

#: One row a run, from its ``START`` to its terminal event: the OpenLineage run id both carry
#: (a UUIDv7, unique across stores), the namespace ``START`` named, and the project root its
#: datasets' root-relative locations start from.
owed_events = Table(
    "openlineage_owed_events",
    metadata,
    Column(
        "run_id",
        Integer,
        ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("run_uuid", String(36), nullable=False),
    Column("namespace", String(1024), nullable=False),
    Column("root", String(4096), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, default=utcnow),
)
