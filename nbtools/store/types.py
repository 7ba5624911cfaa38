"""Column types shared by the store's tables, in SQLAlchemy Core only (no ``sqlalchemy.orm``),
so that Core tables can use them as well as the ORM models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, ForeignKey, Integer, TypeDecorator


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


def run_owned_columns() -> tuple[Column[int], Column[int]]:
    """The first columns of a Core table whose rows belong to one run: its own ``id`` and the
    run's ``run_id`` (indexed), deleted with the run (``ON DELETE CASCADE``): a run's
    artifacts, the datasets it used, a service's minute shares. New columns each call, as a
    ``Table`` takes them."""
    return (
        Column("id", Integer, primary_key=True),
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    )
