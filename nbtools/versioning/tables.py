"""Tables of notebook versioning: versions, the stored objects, and references that pin
versions against garbage collection. A notebook's identity is the foundation's
:class:`~nbtools.store.tables.NotebookRecord`, so history follows a rename."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from nbtools.store.base import Base, utcnow


class Sha256(TypeDecorator[str]):
    """A sha256 kept as 32 bytes in the database and as hex text in Python."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else bytes(value).hex()


class StoredObject(Base):
    """Where one content-addressed blob lives on disk and how it is encoded.

    ``pack`` is the pack file number (``None``: a file of its own); ``encoding`` says how the
    bytes were compressed (see :mod:`nbtools.versioning.objects`); ``base`` names the object
    whose content served as the compression dictionary (a delta), ``depth`` the chain length.
    """

    __tablename__ = "version_objects"
    __table_args__ = {"sqlite_with_rowid": False}

    sha: Mapped[str] = mapped_column(Sha256, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    pack: Mapped[int | None]
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    encoding: Mapped[int]
    base: Mapped[str | None] = mapped_column(Sha256, ForeignKey("version_objects.sha"))
    depth: Mapped[int]


class VersionRecord(Base):
    """One recorded state of a notebook: its manifest, who saved it, and why."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("notebook_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notebook_id: Mapped[int] = mapped_column(ForeignKey("notebooks.id"))
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[str] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(String(4096))
    #: ``auto`` (a save), ``named`` (saved with a message: kept by gc) or ``restore``.
    kind: Mapped[str] = mapped_column(String(16))
    manifest: Mapped[str] = mapped_column(Sha256, ForeignKey("version_objects.sha"))
    size: Mapped[int] = mapped_column(BigInteger)
    cells: Mapped[int]
    cells_changed: Mapped[int]


class VersionReference(Base):
    """Something outside versioning (a run, an extraction) that uses a version: while a
    reference exists, garbage collection keeps the version."""

    __tablename__ = "version_refs"
    __table_args__ = (UniqueConstraint("kind", "ref", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
