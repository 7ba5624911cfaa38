"""The table of stored environment snapshots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, utcnow


class EnvSnapshotRecord(Base):
    """One environment, stored once per content hash; ``captured_at`` is when last seen."""

    __tablename__ = "env_snapshots"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(1024))
    python_version: Mapped[str | None] = mapped_column(String(64))
    distribution_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    captured_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    document: Mapped[str] = mapped_column(Text)
