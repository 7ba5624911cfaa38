"""Retention: drop old unnamed versions, then the objects no version needs, then reclaim space.

``collect_garbage`` keeps, for every notebook, its last ``keep`` versions, every named
version and every version something references (see :mod:`nbtools.versioning.pins`). It runs
with the store's write lock held, so no save is half-way through while objects are removed.
It also removes what killed writes left: object files no stored object is (a save killed
before its rows), and a notebook's hidden temporary files (a restore killed before its rename,
:func:`nbtools.atomic.stale_temporaries`). A dry run removes the versions and objects in a
transaction it rolls back, so it reports what the collection would remove, and the store's
size after it (an estimate: the files it would remove, and the bytes compacting packs frees).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from nbtools import audit
from nbtools.atomic import stale_temporaries
from nbtools.errors import ConflictError, InvalidInputError, StoreError
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.content import load_manifest
from nbtools.versioning.history import NAMED, objects
from nbtools.versioning.objects import DamagedObjectError, ObjectStore, StoredObject
from nbtools.versioning.tables import version_objects, version_refs, versions

DEFAULT_KEEP = 50
_CHUNK = 500
#: The tables a collection removes rows of. On SQLite it removes them with foreign keys
#: unenforced (it holds the store's write lock and finds what is dead itself, delta bases
#: included) and the keys referring to them are checked once before the commit: the referring
#: columns ``versions.manifest`` and ``version_objects.base`` have no index there
#: (``versions_0003``), which checking each removed row would need to stay linear.
_REMOVED_FROM = (versions.name, version_objects.name)


@dataclass
class GcReport:
    """What a collection removed (or, with ``dry_run``, would remove)."""

    keep: int
    dry_run: bool
    versions_removed: list[dict[str, Any]] = field(default_factory=list)
    versions_kept: int = 0
    objects_removed: int = 0
    #: Files killed writes left (object files no object is; notebooks' temporary files).
    leftover_files: int = 0
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
        with project.store.connection(write=True, removing=_REMOVED_FROM) as connection:
            recorded = set(connection.scalars(select(version_objects.c.sha)))
            doomed, report.versions_kept = _doomed_versions(connection, keep)
            report.versions_removed = doomed
            _remove_versions(connection, doomed)
            dead = _dead_objects(connection, store)
            report.objects_removed = len(dead)
            for start in range(0, len(dead), _CHUNK):
                shas = [row.sha for row in dead[start : start + _CHUNK]]
                connection.execute(delete(version_objects).where(version_objects.c.sha.in_(shas)))
            temporaries = _notebook_temporaries(project, connection)
            if dry_run:
                unreferenced = _unreferenced(connection, store)
                left = [path for path in unreferenced.loose if _sha(path) not in recorded]
                report.leftover_files = len(left) + len(temporaries)
                report.bytes_after = report.bytes_before - unreferenced.freed(store)
                connection.rollback()  # nothing removed
                return report
            if doomed:
                _audit(connection, user, report)
        removed = _remove_unreferenced_files(project, store)
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
    report.leftover_files = sum(_sha(path) not in recorded for path in removed) + len(temporaries)
    report.bytes_after = disk_usage(store.directory)
    return report


def _remove_versions(connection: Connection, doomed: list[dict[str, Any]]) -> None:
    for start in range(0, len(doomed), _CHUNK):
        ids = [version["id"] for version in doomed[start : start + _CHUNK]]
        try:
            connection.execute(delete(versions).where(versions.c.id.in_(ids)))
        except IntegrityError:
            raise ConflictError(
                "A version was referenced (by a run or an extraction) while gc was "
                "running; nothing was removed. Run `nbtools version gc` again."
            ) from None


def _notebook_temporaries(project: Project, connection: Connection) -> list[Path]:
    """The temporary files killed writes (restores) of the store's notebooks left."""
    by_folder: dict[Path, set[str]] = defaultdict(set)
    for path in connection.scalars(select(notebooks.c.path)):
        notebook = project.root / path
        by_folder[notebook.parent].add(notebook.name)
    return [
        found for folder, names in by_folder.items() for found in stale_temporaries(folder, names)
    ]


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


class _Unreferenced(NamedTuple):
    """The store's bytes no object row refers to: loose files, and packs holding some."""

    loose: list[Path]
    wasteful: list[int]
    by_pack: dict[int, list[StoredObject]]

    def freed(self, store: ObjectStore) -> int:
        """The bytes removing them frees (packs: what compacting them frees)."""
        live = sum(int(row.length) for n in self.wasteful for row in self.by_pack.get(n, ()))
        files = [*self.loose, *(store.pack_path(n) for n in self.wasteful)]
        return sum(_allocated(path) for path in files) - live


def _unreferenced(connection: Connection, store: ObjectStore) -> _Unreferenced:
    rows = connection.execute(select(version_objects)).all()
    loose = {row.sha for row in rows if row.pack is None}
    by_pack: dict[int, list[StoredObject]] = defaultdict(list)
    for row in rows:
        if row.pack is not None:
            by_pack[row.pack].append(row)
    wasteful = [
        n
        for n in store.pack_numbers()
        if sum(row.length for row in by_pack.get(n, ())) != store.pack_path(n).stat().st_size
    ]
    files = [path for path in _files(store.loose_dir) if _sha(path) not in loose]
    return _Unreferenced(files, wasteful, by_pack)


def _remove_unreferenced_files(project: Project, store: ObjectStore) -> list[Path]:
    """Delete loose files and pack bytes no object row refers to; compact packs with waste.
    The loose files removed."""
    with project.store.connection(write=True) as connection:
        unreferenced = _unreferenced(connection, store)
        moving = [
            row
            for n in unreferenced.wasteful
            for row in sorted(unreferenced.by_pack.get(n, ()), key=_offset)
        ]
        if moving:
            target = store.pack_numbers()[-1] + 1
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
    for number in unreferenced.wasteful:
        store.pack_path(number).unlink()
    for path in unreferenced.loose:
        path.unlink()
    return unreferenced.loose


def _sha(path: Path) -> str:
    """The object a loose file holds, by its path (``loose/ab/cdef…``)."""
    return path.parent.name + path.name


def _allocated(path: Path) -> int:
    try:
        return path.lstat().st_blocks * 512
    except FileNotFoundError:
        return 0


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
