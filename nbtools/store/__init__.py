"""The persistent store: SQLAlchemy 2 models, engine set-up and Alembic migrations.

:func:`utcnow` lives here, not in :mod:`nbtools.store.base` (which re-exports it for the
tables), so code that only stamps a time imports no SQLAlchemy."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(timezone.utc)
