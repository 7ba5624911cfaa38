"""Declarative base and shared column helpers for every table nbtools keeps."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Dialect, ForeignKey, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nbtools.store import utcnow as utcnow  # the tables' defaults import it from here

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of all nbtools ORM models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp, also read back aware from SQLite (which drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=timezone.utc)


class RunOwned:
    """The shape of a row that belongs to one run: its own ``id`` and the run's ``run_id``
    (indexed), deleted with the run (``ON DELETE CASCADE``). The tables of features that
    follow runs (a run's artifacts, the datasets it used, a service's minute shares) are
    declared with it, each adding its own columns and its ``UniqueConstraint("run_id", …)``.
    It lives here, below ``jobs`` (whose :mod:`~nbtools.jobs.tables` declares ``runs``), so
    that those tables need not import the jobs package. Its columns come first in the table
    (``sort_order``), as the migrations made them."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True, sort_order=-1
    )
