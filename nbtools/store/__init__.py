"""The persistent store: SQLAlchemy 2 models, engine set-up and Alembic migrations.

:func:`utcnow` lives here, not in :mod:`nbtools.store.base` (which re-exports it for the
tables), so code that only stamps a time imports no SQLAlchemy."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import URL


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(timezone.utc)


def shown_url(url: URL) -> str:
    """A store's URL as it may be shown (a message, a log, ``nbtools status``): without its
    login (:func:`nbtools.urls.without_login`), so that no part of a password is shown, even
    one holding an unencoded ``@`` that SQLAlchemy's own masking takes for the host's start."""
    from nbtools.urls import without_login

    return without_login(url.render_as_string(hide_password=False))
