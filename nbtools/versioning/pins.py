"""References from other features (runs, extractions) that keep a version from gc.

A job run records the version it executed with ``pin(project, version.id, "run", run_id)``;
``nbtools version gc`` never removes a version while a reference to it exists.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project
from nbtools.versioning.tables import VersionRecord, VersionReference


def pin(project: Project, version_id: int, kind: str, ref: str) -> None:
    """Record that ``ref`` (of ``kind``, e.g. ``"run"``) uses the version; idempotent."""
    if not kind or not ref or len(kind) > 32 or len(ref) > 255:
        raise InvalidInputError(
            "A version reference needs a kind (≤ 32 characters, e.g. 'run') and a ref "
            "(≤ 255 characters, e.g. the run id).",
            kind=kind,
            ref=ref,
        )
    with project.store.session(write=True) as session:
        if session.get(VersionRecord, version_id) is None:
            raise NotFoundError(f"There is no version with id {version_id}.", version_id=version_id)
        exists = session.scalars(
            select(VersionReference.id).where(
                VersionReference.version_id == version_id,
                VersionReference.kind == kind,
                VersionReference.ref == ref,
            )
        ).first()
        if exists is None:
            session.add(VersionReference(version_id=version_id, kind=kind, ref=ref))


def unpin(project: Project, kind: str, ref: str) -> int:
    """Drop every reference ``ref`` of ``kind`` holds; returns how many were dropped."""
    with project.store.session(write=True) as session:
        result = session.execute(
            delete(VersionReference).where(
                VersionReference.kind == kind, VersionReference.ref == ref
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def references(project: Project, version_id: int) -> list[dict[str, str]]:
    """What uses a version: ``[{"kind": "run", "ref": "42"}, ...]``."""
    with project.store.session() as session:
        query = select(VersionReference).where(VersionReference.version_id == version_id)
        return [{"kind": r.kind, "ref": r.ref} for r in session.scalars(query)]
