"""The ``run_artifacts`` table: the files each run kept, where they are stored, their digest.

Rows go with their run (``ON DELETE CASCADE``); the files live in the run's storage under
``artifacts/`` (:data:`nbtools.jobs.storage.ARTIFACTS`) and go with the run's outputs
(:mod:`nbtools.artifacts.prune`).

It is a SQLAlchemy Core ``Table`` on the store's one ``MetaData``, declared here once: a page
of runs reads their artifacts without ``sqlalchemy.orm`` (docs/performance.md).
:class:`~nbtools.artifacts.models.ArtifactRecord` is the ORM class mapped onto it (importable
from here too, loading the ORM on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Column, String, Table, UniqueConstraint

from nbtools.lazy import loader
from nbtools.store import utcnow
from nbtools.store.metadata import metadata
from nbtools.store.types import UtcDateTime, run_owned_columns

if TYPE_CHECKING:
    from nbtools.artifacts.models import ArtifactRecord

#: One artifact of one run.
run_artifacts = Table(
    "run_artifacts",
    metadata,
    *run_owned_columns(),
    Column("name", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("location", String(2048), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("run_id", "name"),
)

#: The ORM class, loaded on first use.
__getattr__ = loader(
    __name__, {"ArtifactRecord": ("models", "ArtifactRecord")}, package="nbtools.artifacts"
)

__all__ = ["ArtifactRecord", "run_artifacts"]
