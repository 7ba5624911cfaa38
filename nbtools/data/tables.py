"""The tables of the data catalog, in SQLAlchemy Core: ``datasets`` and ``run_datasets``.

Tags, purposes and the schema (a list of ``{name, type}``) are JSON. ``search_name``, ``search_tags`` and
``search_columns`` hold the words of the name, tags and column names (split at ``_`` and case
changes by :mod:`nbtools.data.words`): the full-text index covers them and the description
(an FTS5 table kept by triggers on SQLite, a GIN expression index on PostgreSQL; both made by
the ``catalog`` migration branch, not by these tables).

A dataset's identity is its ``uid``, a random identifier given when it is catalogued and
never given again (its ``id`` is not: SQLite gives the highest one again once that row is
deleted). A run's use names the dataset it used by ``dataset_uid``, so a dataset removed and
catalogued again under its name is another dataset: its retention does not reach the runs of
the old one (migration ``retention_0002``).

One location holds one dataset: the unique index ``dataset_location`` (on the location on
SQLite, on its MD5 on PostgreSQL: migration ``location_0001``, not these tables) covers every
dataset but those marked ``shares_location``, which shared a location with another before the
index was made (:mod:`nbtools.data.catalog` unmarks a dataset it places at a location).

Each table is declared here once, on the store's one ``MetaData``: a page of runs reads the
datasets each run used without ``sqlalchemy.orm`` (docs/performance.md). The catalog's ORM
classes (:mod:`nbtools.data.models`) are mapped onto these tables; they can be imported from
here too, and load the ORM on first use.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from nbtools.lazy import loader
from nbtools.store import utcnow
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime, run_owned_columns

if TYPE_CHECKING:
    from nbtools.data.models import DatasetRecord, RunDatasetRecord


def new_uid() -> str:
    """A dataset's identity: 32 random hex digits, never given to another dataset."""
    return uuid.uuid4().hex


#: One catalogued dataset.
datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(32), nullable=False, unique=True, index=True, default=new_uid),
    Column("name", String(128), nullable=False, unique=True),
    Column("location", String(2048), nullable=False),
    Column("shares_location", Boolean, nullable=False, default=False),
    Column("description", Text, nullable=False, default=""),
    Column("tags", JSON, nullable=False, default=list),
    Column("owner", String(255), nullable=False, default=""),
    Column("classification", String(16), nullable=False),
    Column("purposes", JSON, nullable=False, default=list),
    Column("retention", String(16)),
    Column("retention_days", Integer),
    Column("schema_fields", JSON),
    Column("schema_note", Text),
    Column("search_name", Text, nullable=False, default=""),
    Column("search_tags", Text, nullable=False, default=""),
    Column("search_columns", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UtcDateTime(), nullable=False, default=utcnow),
    CheckConstraint(
        "classification IN ('public', 'internal', 'personal', 'sensitive')",
        name="classification",
    ),
)

#: A dataset a run read (``read``) or wrote (``write``) through ``nbtools.data``. The name,
#: classification and location are those at the time of the run: a dataset removed from the
#: catalog later still shows in the history of the runs that used it. ``dataset_uid`` is the
#: identity of the dataset used (``None``: a use recorded before identities, whose dataset
#: had left the catalog by then).
run_datasets = Table(
    "run_datasets",
    metadata,
    *run_owned_columns(),
    Column("dataset", String(128), nullable=False, index=True),
    Column("dataset_uid", String(32), index=True),
    Column("mode", String(8), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("location", String(2048), nullable=False),
    UniqueConstraint("run_id", "dataset", "mode"),
)

#: The ORM classes, loaded on first use: name → (module of ``nbtools.data``, attribute).
__getattr__ = loader(
    __name__,
    {
        "DatasetRecord": ("models", "DatasetRecord"),
        "RunDatasetRecord": ("models", "RunDatasetRecord"),
    },
    package="nbtools.data",
)

__all__ = ["DatasetRecord", "RunDatasetRecord", "datasets", "run_datasets"]
