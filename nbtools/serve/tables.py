"""The ``service_minute_shares`` table: each worker's share of a service's minute.

A minute of a service is one run of its job (:mod:`nbtools.serve.recorder`); with several
workers each writes its own counts there, keyed by the worker, and the run's metrics are
those of all shares added up. Rows go with their run (``ON DELETE CASCADE``).

The table is declared once, in SQLAlchemy Core on the store's one ``MetaData``, like every
run-owned table (:func:`nbtools.store.types.run_owned_columns`); the recorder reads and writes
it through :class:`ServiceMinuteShare`, the ORM class mapped onto it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped

from nbtools.store import utcnow
from nbtools.store.base import Base
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime, run_owned_columns

#: What one worker counted in one minute of a service.
service_minute_shares = Table(
    "service_minute_shares",
    metadata,
    *run_owned_columns(),
    Column("worker", String(200), nullable=False),
    Column("share", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("run_id", "worker"),
)


class ServiceMinuteShare(Base):
    """What one worker counted in one minute (``nbtools.serve.telemetry.Minute`` as JSON).
    The annotations only type the mapped attributes."""

    __table__ = service_minute_shares

    id: Mapped[int]
    run_id: Mapped[int]
    worker: Mapped[str]
    share: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
