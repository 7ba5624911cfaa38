"""The ``service_minute_shares`` table: each worker's share of a service's minute.

A minute of a service is one run of its job (:mod:`nbtools.serve.recorder`); with several
workers each writes its own counts there, keyed by the worker, and the run's metrics are
those of all shares added up. Rows go with their run (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, RunOwned, UtcDateTime, utcnow


class ServiceMinuteShare(RunOwned, Base):
    """What one worker counted in one minute (``nbtools.serve.telemetry.Minute`` as JSON)."""

    __tablename__ = "service_minute_shares"
    __table_args__ = (UniqueConstraint("run_id", "worker"),)

    worker: Mapped[str] = mapped_column(String(200))
    share: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
