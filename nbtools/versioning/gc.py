"""Retention: drop old unnamed versions, then the objects no version needs, then reclaim space.

``collect_garbage`` keeps, for every notebook, its last ``keep`` versions, every named
version and every version something references (see :mod:`nbtools.versioning.pins`). It runs
with the store's write lock held, so no save is half-way through while objects are removed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from nbtools import audit
from nbtools.errors import ConflictError, InvalidInputError, StoreError
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.content import load_manifest
from nbtools.versioning.history import NAMED, objects
from nbtools.versioning.objects import DamagedObjectError, ObjectStore, StoredObject
from nbtools.versioning.tables import version_objects, version_refs, versions

DEFAULT_KEEP = 50
_CHUNK = 500


@dataclass
class GcReport:
    """What a collection removed (or, with ``dry_run``, would remove)."""

    keep: int
    dry_run: bool
    versions_removed: list[dict[str, Any]] = field(default_factory=list)
    versions_kept: int = 0
    objects_removed: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect_garbage(
    project: Project, keep: int = DEFAULT_KEEP, dry_run: bool = False, user: str | None = None
) -> GcReport:
    """Remove versions beyond the last ``keep`` of each notebook (never named or referenced
    ones), the objects no remaining version needs, and the space they took. History removed
    is audited as ``version.gc`` by ``user``, in the transaction removing it (a dry run, or a
    collection removing no version, records nothing)."""
    if keep < 1:
        raise InvalidInputError(
            f"keep must be at least 1 (got {keep}): the latest version is always kept.",
            field="keep",
            keep=keep,
        )
    store = objects(project)
    report = GcReport(keep=keep, dry_run=dry_run, bytes_before=disk_usage(store.directory))
    with store.lock():
        with project.store.connection(write=True) as connection:
            doomed, report.versions_kept = _doomed_versions(connection, keep)
            report.versions_removed = doomed
            if dry_run:
                report.bytes_after = report.bytes_before
                return report
            for start in range(0, len(doomed), _CHUNK):
                ids = [version["id"] for version in doomed[start : start + _CHUNK]]
                try:
                    connection.execute(delete(versions).where(versions.c.id.in_(ids)))
                except IntegrityError:
                    raise ConflictError(
                        "A version was referenced (by a run or an extraction) while gc was "
                        "running; nothing was removed. Run `nbtools version gc` again."
                    ) from None
            dead = _dead_objects(connection, store)
            report.objects_removed = len(dead)
            for start in range(0, len(dead), _CHUNK):
                shas = [row.sha for row in dead[start : start + _CHUNK]]
                connection.execute(delete(version_objects).where(version_objects.c.sha.in_(shas)))
            if doomed:
                _audit(connection, user, report)
        _remove_unreferenced_files(project, store)
    report.bytes_after = disk_usage(store.directory)
    return report


def _audit(connection: Connection, user: str | None, report: GcReport) -> None:
    """The ``version.gc`` entry of a collection: each notebook's removed version numbers."""
    removed: dict[str, list[int]] = defaultdict(list)
    for version in report.versions_removed:
        removed[version["path"]].append(version["number"])
    summary = {
        "keep": report.keep,
        "removed": {path: sorted(numbers) for path, numbers in sorted(removed.items())},
        "objects_removed": report.objects_removed,
    }
    count = len(report.versions_removed)
    audit.record(connection, user, "version.gc", f"{count} versions", summary)


def _doomed_versions(connection: Connection, keep: int) -> tuple[list[dict[str, Any]], int]:
    """The versions to remove (their id, path and number), and how many stay."""
    pinned = set(connection.scalars(select(version_refs.c.version_id).distinct()))
    table = versions
    rows = connection.execute(
        select(table.c.id, table.c.notebook_id, table.c.number, table.c.kind, notebooks.c.path)
        .join(notebooks, notebooks.c.id == table.c.notebook_id)
        .order_by(versions.c.notebook_id, versions.c.number.desc())
    ).all()
    seen: dict[int, int] = defaultdict(int)
    doomed = []
    for row in rows:
        seen[row.notebook_id] += 1
        if seen[row.notebook_id] > keep and row.kind != NAMED and row.id not in pinned:
            doomed.append({"id": row.id, "path": row.path, "number": row.number})
    return doomed, len(rows) - len(doomed)


def _dead_objects(connection: Connection, store: ObjectStore) -> list[StoredObject]:
    """Objects no remaining version needs, deepest deltas first (so bases go last)."""
    live: set[str] = set()
    for manifest in set(connection.scalars(select(versions.c.manifest))):
        try:
            live |= load_manifest(connection, store, manifest).objects
        except DamagedObjectError as error:
            raise StoreError(
                f"gc stopped without removing anything: {error.message}",
                **error.details,
            ) from None
    records = {row.sha: row for row in connection.execute(select(version_objects))}
    pending = list(live)
    while pending:
        base = records[pending.pop()].base
        if base is not None and base not in live:
            live.add(base)
            pending.append(base)
    dead = [row for sha, row in records.items() if sha not in live]
    return sorted(dead, key=lambda row: -row.depth)


def _remove_unreferenced_files(project: Project, store: ObjectStore) -> None:
    """Delete loose files and pack bytes no object row refers to; compact packs with waste."""
    with project.store.connection(write=True) as connection:
        rows = connection.execute(select(version_objects)).all()
        loose = {row.sha for row in rows if row.pack is None}
        by_pack: dict[int, list[StoredObject]] = defaultdict(list)
        for row in rows:
            if row.pack is not None:
                by_pack[row.pack].append(row)
        numbers = store.pack_numbers()
        wasteful = [
            n
            for n in numbers
            if sum(row.length for row in by_pack.get(n, ())) != store.pack_path(n).stat().st_size
        ]
        moving = [row for n in wasteful for row in sorted(by_pack.get(n, ()), key=_offset)]
        if moving:
            target = numbers[-1] + 1
            offsets = store.append(target, [store.read_stored(row) for row in moving])
            moved = [
                {"moved_sha": row.sha, "pack": target, "offset": offset}
                for row, offset in zip(moving, offsets, strict=True)
            ]
            table = version_objects
            connection.execute(
                update(table).where(table.c.sha == bindparam("moved_sha")),
                moved,
            )
    for number in wasteful:
        store.pack_path(number).unlink()
    for path in _files(store.loose_dir):
        if path.parent.name + path.name not in loose:
            path.unlink()


def _offset(row: StoredObject) -> int:
    return int(row.offset)


def _files(directory: Path) -> Iterable[Path]:
    if directory.is_dir():
        yield from (path for path in directory.rglob("*") if path.is_file())


def disk_usage(directory: Path) -> int:
    """Bytes the files under ``directory`` occupy on disk (allocated blocks)."""
    total = 0
    for root, _, names in os.walk(directory):
        for name in names:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total
