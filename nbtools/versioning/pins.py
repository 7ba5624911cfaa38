"""References from other features (runs, extractions) that keep a version from gc.

A job run records the version it executed with ``pin(project, version.id, "run", run_id)``;
``nbtools version gc`` never removes a version while a reference to it exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project
from nbtools.versioning.tables import version_refs, versions


def pin(project: Project, version_id: int, kind: str, ref: str) -> None:
    """Record that ``ref`` (of ``kind``, e.g. ``"run"``) uses the version; idempotent."""
    if not kind or not ref or len(kind) > 32 or len(ref) > 255:
        raise InvalidInputError(
            "A version reference needs a kind (≤ 32 characters, e.g. 'run') and a ref "
            "(≤ 255 characters, e.g. the run id).",
            kind=kind,
            ref=ref,
        )
    table = version_refs
    with project.store.connection(write=True) as connection:
        if connection.scalar(select(versions.c.id).where(versions.c.id == version_id)) is None:
            raise NotFoundError(f"There is no version with id {version_id}.", version_id=version_id)
        exists = connection.scalar(
            select(table.c.id).where(
                table.c.version_id == version_id, table.c.kind == kind, table.c.ref == ref
            )
        )
        if exists is None:
            connection.execute(insert(table).values(version_id=version_id, kind=kind, ref=ref))


def unpin(project: Project, kind: str, ref: str) -> int:
    """Drop every reference ``ref`` of ``kind`` holds; returns how many were dropped."""
    table = version_refs
    with project.store.connection(write=True) as connection:
        result = connection.execute(delete(table).where(table.c.kind == kind, table.c.ref == ref))
        return int(result.rowcount)


def references(project: Project, version_id: int) -> list[dict[str, str]]:
    """What uses a version: ``[{"kind": "run", "ref": "42"}, ...]``."""
    return references_of(project, [version_id]).get(version_id, [])


def references_of(project: Project, version_ids: Sequence[int]) -> dict[int, list[dict[str, str]]]:
    """What uses each of ``version_ids`` (those nothing uses are left out), in one query: by
    kind (extraction, job, run), then in the order they were recorded."""
    table = version_refs
    found: dict[int, list[dict[str, str]]] = {}
    if not version_ids:
        return found
    query = (
        select(table.c.version_id, table.c.kind, table.c.ref)
        .where(table.c.version_id.in_(version_ids))
        .order_by(table.c.kind, table.c.id)
    )
    with project.store.connection() as connection:
        for row in connection.execute(query):
            found.setdefault(row.version_id, []).append({"kind": row.kind, "ref": row.ref})
    return found
