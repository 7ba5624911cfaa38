"""The catalog's ORM classes, mapped onto the Core tables of :mod:`nbtools.data.tables`
(where each column is declared, once). The annotations only type the mapped attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped

from nbtools.data.tables import datasets, run_datasets
from nbtools.store.base import Base


class DatasetRecord(Base):
    """One catalogued dataset."""

    __table__ = datasets

    id: Mapped[int]
    uid: Mapped[str]
    name: Mapped[str]
    location: Mapped[str]
    shares_location: Mapped[bool]
    description: Mapped[str]
    tags: Mapped[list[str]]
    owner: Mapped[str]
    classification: Mapped[str]
    purposes: Mapped[list[str]]
    retention: Mapped[str | None]
    retention_days: Mapped[int | None]
    schema_fields: Mapped[list[dict[str, Any]] | None]
    schema_note: Mapped[str | None]
    search_name: Mapped[str]
    search_tags: Mapped[str]
    search_columns: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RunDatasetRecord(Base):
    """A dataset a run read or wrote, as it was catalogued then."""

    __table__ = run_datasets

    id: Mapped[int]
    run_id: Mapped[int]
    dataset: Mapped[str]
    dataset_uid: Mapped[str | None]
    mode: Mapped[str]
    classification: Mapped[str]
    location: Mapped[str]
