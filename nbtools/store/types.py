"""Column types shared by the store's tables, in SQLAlchemy Core only (no ``sqlalchemy.orm``),
so that Core tables can use them as well as the ORM models."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, ForeignKey, Integer, Text, TypeDecorator
from sqlalchemy.types import TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp, also read back aware from SQLite (which drops it), and
    in UTC from a driver that gives it in its session's zone."""

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
            if moment is None or moment.tzinfo is utc:
                return moment
            return moment.replace(tzinfo=utc) if moment.tzinfo is None else moment.astimezone(utc)

        return process


class JsonText(TypeDecorator[Any]):
    """A JSON value stored as its text, in a TEXT column: SQLite gives a column typed JSON
    NUMERIC affinity, which stores a top-level number's text as a number (``1.0`` read back
    as ``1``, ``2**63`` as ``9.223372036854776e+18``). Use :func:`json_value`, which keeps
    PostgreSQL's JSON type (whose text is kept as written)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str:
        return json.dumps(value)  # None as JSON null, as SQLAlchemy's JSON type stores it

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def json_value() -> TypeEngine[Any]:
    """The type of a column holding any JSON value, numbers read back as they were written:
    JSON, as :class:`JsonText` on SQLite."""
    return JSON().with_variant(JsonText(), "sqlite")


def run_owned_columns() -> tuple[Column[int], Column[int]]:
    """The first columns of a Core table whose rows belong to one run: its own ``id`` and the
    run's ``run_id``, deleted with the run (``ON DELETE CASCADE``): a run's artifacts, the
    datasets it used, a service's minute shares. ``run_id`` has no index of its own: each such
    table has a unique constraint starting with it, which is the index its lookups use. New
    columns each call, as a ``Table`` takes them."""
    return (
        Column("id", Integer, primary_key=True),
        Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    )
