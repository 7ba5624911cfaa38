"""Checking every stored object against its hash, and naming the versions damage affects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nbtools.project import Project
from nbtools.store.tables import NotebookRecord
from nbtools.versioning.content import load_manifest
from nbtools.versioning.history import objects
from nbtools.versioning.objects import DamagedObjectError, ObjectStore
from nbtools.versioning.tables import StoredObject, VersionRecord


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
    """Read every object and every version; report what is missing or damaged."""
    store = objects(project)
    report = VerifyReport()
    damaged: dict[str, str] = {}
    with project.store.session() as session:
        for sha in session.scalars(select(StoredObject.sha)):
            report.objects_checked += 1
            try:
                store.read(session, [sha])
            except DamagedObjectError as error:
                if error.details["sha"] == sha:
                    damaged[sha] = error.message
                    report.damaged_objects.append({"sha": sha, "message": error.message})
        versions = session.execute(
            select(VersionRecord, NotebookRecord.path).join(
                NotebookRecord, NotebookRecord.id == VersionRecord.notebook_id
            )
        ).all()
        for row, path in versions:
            report.versions_checked += 1
            problem = _version_problem(session, store, row.manifest, damaged)
            if problem is not None:
                report.unreadable_versions.append(
                    {"id": row.id, "path": path, "number": row.number, "message": problem}
                )
    return report


def _version_problem(
    session: Session, store: ObjectStore, manifest: str, damaged: dict[str, str]
) -> str | None:
    try:
        loaded = load_manifest(session, store, manifest)
    except DamagedObjectError as error:
        return error.message
    broken = next((sha for sha in loaded.images if sha in damaged), None)
    return damaged[broken] if broken else None
