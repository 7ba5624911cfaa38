"""Checking every stored object against its hash, and naming the versions damage affects.

Verifying takes no lock, so saves go on meanwhile; but a ``version gc`` running meanwhile
removes objects and versions the verification may have listed already. So damage found is
confirmed before it is reported: the whole check runs again with the store's write lock held
(:meth:`ObjectStore.lock`, which gc holds while it removes anything), reading the store as it
is then.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.content import load_manifest
from nbtools.versioning.history import objects
from nbtools.versioning.objects import DamagedObjectError, ObjectStore
from nbtools.versioning.tables import version_objects, versions


@dataclass
class VerifyReport:
    """Objects checked, the damaged ones, and the versions that cannot be read."""

    objects_checked: int = 0
    versions_checked: int = 0
    damaged_objects: list[dict[str, Any]] = field(default_factory=list)
    unreadable_versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damaged_objects and not self.unreadable_versions

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def verify(project: Project) -> VerifyReport:
    """Read every object and every version; report what is missing or damaged (confirmed
    with the store's write lock held: never what a gc running meanwhile removed)."""
    store = objects(project)
    report = _verify(project, store)
    if report.ok:
        return report
    with store.lock():
        return _verify(project, store)


def _verify(project: Project, store: ObjectStore) -> VerifyReport:
    report = VerifyReport()
    damaged: dict[str, str] = {}
    with project.store.connection() as connection:
        for sha in connection.scalars(select(version_objects.c.sha)).all():
            report.objects_checked += 1
            try:
                store.read(connection, [sha])
            except DamagedObjectError as error:
                if error.details["sha"] == sha:
                    damaged[sha] = error.message
                    report.damaged_objects.append({"sha": sha, "message": error.message})
        rows = connection.execute(
            select(versions.c.id, versions.c.number, versions.c.manifest, notebooks.c.path).join(
                notebooks, notebooks.c.id == versions.c.notebook_id
            )
        ).all()
        for row in rows:
            report.versions_checked += 1
            problem = _version_problem(connection, store, row.manifest, damaged)
            if problem is not None:
                report.unreadable_versions.append(
                    {"id": row.id, "path": row.path, "number": row.number, "message": problem}
                )
    return report


def _version_problem(
    connection: Connection, store: ObjectStore, manifest: str, damaged: dict[str, str]
) -> str | None:
    try:
        loaded = load_manifest(connection, store, manifest)
    except DamagedObjectError as error:
        return error.message
    broken = next((sha for sha in loaded.images if sha in damaged), None)
    return damaged[broken] if broken else None
