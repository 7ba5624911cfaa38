"""Declarative base and shared column helpers for every table nbtools keeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Dialect, ForeignKey, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nbtools.store import utcnow as utcnow  # the tables' defaults import it from here
from nbtools.store.metadata import metadata as store_metadata


class Base(DeclarativeBase):
    """Base class of all nbtools ORM models."""

    metadata = store_metadata
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp, also read back aware from SQLite (which drops it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None else None

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None]:
        """The driver's value (SQLite's text) as an aware datetime, in one call per value and
        none for NULL: a page of 1000 runs reads 9000 timestamps, most of them NULL, and
        TypeDecorator's own chain costs two Python calls each."""
        convert = self.impl_instance.result_processor(dialect, coltype)
        utc = timezone.utc

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            moment: datetime | None = convert(value) if convert is not None else value
            if moment is None or moment.tzinfo is not None:
                return moment
            return moment.replace(tzinfo=utc)

        return process


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
