"""Tables of notebook versioning: versions, the stored objects, and references that pin
versions against garbage collection. A notebook's identity is the foundation's
``notebooks`` table (:mod:`nbtools.store.tables`), so history follows a rename.

Core ``Table`` objects on the store's one ``MetaData``, read and written through
``Store.connection()``: the versioning package imports no ``sqlalchemy.orm``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from nbtools.config import MAX_ACTOR
from nbtools.store import utcnow
from nbtools.store.metadata import metadata


class Sha256(TypeDecorator[str]):
    """A sha256 kept as 32 bytes in the database and as hex text in Python."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else bytes(value).hex()


#: Where one content-addressed blob lives on disk and how it is encoded. ``pack`` is the pack
#: file number (``None``: a file of its own); ``encoding`` says how the bytes were compressed
#: (see :mod:`nbtools.versioning.objects`); ``base`` names the object whose content served as
#: the compression dictionary (a delta), ``depth`` the chain length.
version_objects = Table(
    "version_objects",
    metadata,
    Column("sha", Sha256, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("pack", Integer),
    Column("offset", BigInteger, nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("encoding", Integer, nullable=False),
    Column("base", Sha256, ForeignKey("version_objects.sha")),
    Column("depth", Integer, nullable=False),
    sqlite_with_rowid=False,
)

#: The longest message a version may carry (the column's length: PostgreSQL refuses more).
MAX_MESSAGE_LENGTH = 4096

#: One recorded state of a notebook: its manifest, who saved it, and why. ``kind`` is
#: ``auto`` (a save), ``named`` (saved with a message: kept by gc) or ``restore``.
versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("notebook_id", Integer, ForeignKey("notebooks.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("user", String(MAX_ACTOR), nullable=False),
    Column("message", String(MAX_MESSAGE_LENGTH)),
    Column("kind", String(16), nullable=False),
    Column("manifest", Sha256, ForeignKey("version_objects.sha"), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("cells", Integer, nullable=False),
    Column("cells_changed", Integer, nullable=False),
    UniqueConstraint("notebook_id", "number"),
)

#: What refers to a stored object, indexed on PostgreSQL only: no query looks a row up by
#: these columns, only the database's checks of what refers to an object it removes (``nbtools
#: version gc``), and on SQLite the collection removes objects with foreign keys unenforced and
#: checks them once (:mod:`nbtools.versioning.gc`), which saves a store of 100 versions 29 of
#: its 156 pages (docs/performance.md, "What the version store holds").
for _column in (version_objects.c.base, versions.c.manifest):
    Index(f"ix_{_column.table.name}_{_column.name}", _column).ddl_if(dialect="postgresql")

#: Something outside versioning (a run, an extraction) that uses a version: while a reference
#: exists, garbage collection keeps the version.
version_refs = Table(
    "version_refs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("versions.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(32), nullable=False),
    Column("ref", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utcnow),
    UniqueConstraint("kind", "ref", "version_id"),
)
