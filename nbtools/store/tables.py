"""Tables of the foundation: store information and the notebooks the project knows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from nbtools.store.base import Base, utcnow


class StoreInfo(Base):
    """Key/value facts about the store itself (who created it, with which version)."""

    __tablename__ = "store_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(1024))


class NotebookRecord(Base):
    """A notebook's identity: its history follows it when it is renamed or moved."""

    __tablename__ = "notebooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
