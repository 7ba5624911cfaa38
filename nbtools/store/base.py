"""Declarative base and shared column helpers of the ORM models (the Core tables use
:mod:`nbtools.store.metadata` and :mod:`nbtools.store.types` directly)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase

from nbtools.store import utcnow as utcnow  # the tables' defaults import it from here
from nbtools.store.metadata import metadata as store_metadata
from nbtools.store.types import UtcDateTime as UtcDateTime  # the ORM tables import it from here


class Base(DeclarativeBase):
    """Base class of all nbtools ORM models."""

    metadata = store_metadata
    type_annotation_map = {datetime: DateTime(timezone=True)}
