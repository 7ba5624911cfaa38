"""The persistent store: SQLAlchemy 2 models, engine set-up and Alembic migrations.

:func:`utcnow` lives here, not in :mod:`nbtools.store.base` (which re-exports it for the
tables), so code that only stamps a time imports no SQLAlchemy."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(timezone.utc)


#: The largest integer the store takes: a ``BigInteger`` column, a ``LIMIT`` or an ``OFFSET``
#: (a signed 64-bit integer, in SQLite as in PostgreSQL).
LARGEST_INTEGER = 2**63 - 1

#: The largest value of an ``Integer`` column in every database the store runs on
#: (PostgreSQL's ``integer`` has 32 bits, SQLite's 64): no id or version number is larger.
LARGEST_ID = 2**31 - 1


def stored_integer(text: str) -> int | None:
    """``text`` as a whole number if it is ASCII digits (no sign, no space) up to
    :data:`LARGEST_INTEGER`, else ``None``: nothing the store holds has a larger number, and
    Python refuses to convert more than 4300 digits."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(LARGEST_INTEGER)):
        return None
    value = int(text)
    return value if value <= LARGEST_INTEGER else None
