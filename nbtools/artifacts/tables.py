"""The ``run_artifacts`` table: the files each run kept, where they are stored, their digest.

Rows go with their run (``ON DELETE CASCADE``); the files live in the run's storage under
``artifacts/`` (:data:`nbtools.jobs.storage.ARTIFACTS`) and go with the run's outputs
(:mod:`nbtools.artifacts.prune`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, RunOwned, UtcDateTime, utcnow


class ArtifactRecord(RunOwned, Base):
    """One artifact of one run."""

    __tablename__ = "run_artifacts"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    name: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
