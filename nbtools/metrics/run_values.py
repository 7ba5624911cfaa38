"""A run's metric values: their Core table (``metric_values``, declared here once) and reading
one run's values without ``sqlalchemy.orm``, as ``nbtools runs show`` and a served model's
lineage do (docs/performance.md, "Where a CLI command's time goes"). The ORM class
:class:`~nbtools.metrics.tables.MetricValue`, which harvesting and series work with, is mapped
onto this table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    select,
)

# The runs and jobs tables the keys reference.
import nbtools.jobs.tables  # noqa: F401
from nbtools.store import utcnow
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime, json_value

#: One metric of one run: the JSON value, and a numeric copy (``number``) for series and rules.
metric_values = Table(
    "metric_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", ForeignKey("jobs.id", ondelete="SET NULL")),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", json_value(), nullable=True),
    Column("number", Float),
    Column("unit", String(32)),
    Column("source", String(16), nullable=False),
    Column("cell_index", Integer),
    Column("recorded_at", UtcDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("run_id", "name"),
    Index("ix_metric_values_series", "job_id", "name", "run_id"),
)


def run_metric_values(connection: Connection, run_id: int) -> dict[str, Any]:
    """A run's metrics as ``{name: value}``, by name (empty when none were recorded or
    harvested)."""
    rows = connection.execute(
        select(metric_values.c.name, metric_values.c.value)
        .where(metric_values.c.run_id == run_id)
        .order_by(metric_values.c.name)
    )
    return dict(rows.tuples().all())
