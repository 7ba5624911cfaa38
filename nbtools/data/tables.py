"""The ``datasets`` table of the data catalog.

Tags, purposes and the schema (a list of ``{name, type}``) are JSON. ``search_name``, ``search_tags`` and
``search_columns`` hold the words of the name, tags and column names (split at ``_`` and case
changes by :mod:`nbtools.data.words`): the full-text index covers them and the description
(an FTS5 table kept by triggers on SQLite, a GIN expression index on PostgreSQL; both made by
the ``catalog`` migration branch, not by these models).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, RunOwned, UtcDateTime, utcnow


class DatasetRecord(Base):
    """One catalogued dataset."""

    __tablename__ = "datasets"
    __table_args__ = (
        CheckConstraint(
            "classification IN ('public', 'internal', 'personal', 'sensitive')",
            name="classification",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    location: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str] = mapped_column(String(255), default="")
    classification: Mapped[str] = mapped_column(String(16))
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention: Mapped[str | None] = mapped_column(String(16))
    retention_days: Mapped[int | None]
    schema_fields: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    schema_note: Mapped[str | None] = mapped_column(Text)
    search_name: Mapped[str] = mapped_column(Text, default="")
    search_tags: Mapped[str] = mapped_column(Text, default="")
    search_columns: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RunDatasetRecord(RunOwned, Base):
    """A dataset a run read (``read``) or wrote (``write``) through ``nbtools.data``.

    The name, classification and location are those at the time of the run: a dataset
    removed from the catalog later still shows in the history of the runs that used it.
    """

    __tablename__ = "run_datasets"
    __table_args__ = (UniqueConstraint("run_id", "dataset", "mode"),)

    dataset: Mapped[str] = mapped_column(String(128), index=True)
    mode: Mapped[str] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(2048))
