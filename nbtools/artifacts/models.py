"""The ORM class of artifacts, mapped onto :data:`nbtools.artifacts.tables.run_artifacts`
(where each column is declared, once). The annotations only type the mapped attributes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped

from nbtools.artifacts.tables import run_artifacts
from nbtools.store.base import Base


class ArtifactRecord(Base):
    """One artifact of one run."""

    __table__ = run_artifacts

    id: Mapped[int]
    run_id: Mapped[int]
    name: Mapped[str]
    size: Mapped[int]
    sha256: Mapped[str]
    location: Mapped[str]
    created_at: Mapped[datetime]
