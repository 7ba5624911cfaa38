"""Declarative base and shared column helpers of the ORM models (the Core tables use
:mod:`nbtools.store.metadata` and :mod:`nbtools.store.types` directly)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nbtools.store import utcnow as utcnow  # the tables' defaults import it from here
from nbtools.store.metadata import metadata as store_metadata
from nbtools.store.types import UtcDateTime as UtcDateTime  # the ORM tables import it from here


class Base(DeclarativeBase):
    """Base class of all nbtools ORM models."""

    metadata = store_metadata
    type_annotation_map = {datetime: DateTime(timezone=True)}


class RunOwned:
    """The shape of a row that belongs to one run: its own ``id`` and the run's ``run_id``
    (indexed), deleted with the run (``ON DELETE CASCADE``). The tables of features that
    follow runs (a run's artifacts, the datasets it used, a service's minute shares) are
    declared with it, each adding its own columns and its ``UniqueConstraint("run_id", …)``.
    It lives here, below ``jobs`` (whose :mod:`~nbtools.jobs.tables` declares ``runs``), so
    that those tables need not import the jobs package. Its columns come first in the table
    (``sort_order``), as the migrations made them. A Core table starts with
    :func:`nbtools.store.types.run_owned_columns` instead."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True, sort_order=-1
    )
