"""Recording versions and reading a notebook's history.

``commit`` is the one way a version is made (the server's save hook, JupyterLab checkpoints,
``nbtools version save``, restores): identical content makes no new version, and writers are
serialised so that two saves of one notebook at once are both recorded, in order.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from nbtools.audit import current_actor
from nbtools.errors import InvalidInputError, NotebookError, NotFoundError
from nbtools.ids import MAX_ID, MAX_INTEGER, check_limit, whole_number
from nbtools.infiles import read_regular
from nbtools.notebooks import parse_notebook
from nbtools.project import Project
from nbtools.store import utcnow
from nbtools.store.tables import notebooks
from nbtools.text import parse_text
from nbtools.versioning.files import notebook_size
from nbtools.versioning.lastsplit import LAST_SPLITS, LastSplit, known_cells
from nbtools.versioning.objects import DamagedObjectError, NewObject, ObjectStore
from nbtools.versioning.parts import Parts, referenced_blobs, split
from nbtools.versioning.tables import MAX_MESSAGE_LENGTH, versions

log = logging.getLogger(__name__)

AUTO, NAMED, RESTORE = "auto", "named", "restore"


@dataclass(frozen=True)
class Version:
    """One recorded state of a notebook, as the API, the CLI and the panel show it."""

    id: int
    notebook_id: int
    path: str
    number: int
    created_at: datetime
    user: str
    message: str | None
    kind: str
    size: int
    cells: int
    cells_changed: int
    manifest: str
    #: True when the call that returned this version recorded it (``commit`` only).
    recorded: bool = False

    @property
    def named(self) -> bool:
        return self.kind == NAMED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["named"] = self.named
        return data


def objects(project: Project) -> ObjectStore:
    """The object files of the project's version store."""
    return ObjectStore(project.store_dir / "versions")


def notebook_key(project: Project, path: str) -> str:
    """The root-relative, normalised path under which a notebook's history is kept; a path in
    the store directory is refused, as the server refuses it (nothing there is a notebook)."""
    return project.relative(project.user_file(path))


def disk_content(project: Project, path: str) -> bytes:
    """The bytes of the notebook file at ``path``, or a :class:`NotFoundError` saying so."""
    target = project.resolve(path)
    try:
        return read_regular(target, path, field="path")
    except FileNotFoundError:
        raise NotFoundError(f"Notebook not found: {path}", path=path) from None
    except IsADirectoryError:
        raise NotebookError(f"{path} is a directory, not a notebook.", path=path) from None


def version_message(message: str | None) -> str | None:
    """A version's name as :func:`commit` records it (surrounding spaces dropped), or the
    refusal of one that is blank, holds a NUL or is too long (field ``message``)."""
    if message is None:
        return None
    if not message.strip():
        raise InvalidInputError(
            "The version message is empty: give a few words or omit it.", field="message"
        )
    return parse_text(message, "message", MAX_MESSAGE_LENGTH)


def commit(
    project: Project,
    path: str,
    content: bytes | Mapping[str, Any],
    message: str | None = None,
    user: str | None = None,
    kind: str | None = None,
) -> Version:
    """Record ``content`` (notebook bytes or an nbformat dict) as the newest version of ``path``.

    Content identical to the latest version makes no new version: the latest is returned
    (and, when ``message`` is given and the latest has none, named with it), unless
    ``message`` differs from the latest's name: a new version of the same content then
    carries it (``recorded``, no cell changed).
    """
    message = version_message(message)
    key = notebook_key(project, path)
    nb = (
        parse_notebook(content, source=key, lone_surrogates=True)
        if isinstance(content, bytes)
        else content
    )
    store = objects(project)
    last = LAST_SPLITS.get(store.directory, key)
    parts = split(nb, source=key, known=last.cells if last else ())
    kind = kind or (NAMED if message else AUTO)
    LAST_SPLITS.forget(store.directory, key)  # remembered again once this commit is done
    with store.lock(), project.store.connection(write=True) as connection:
        notebook_id = _notebook_id(connection, key)
        latest = _latest_row(connection, notebook_id)
        previous = None
        if last is not None and latest is not None and latest.manifest == last.manifest_sha:
            previous = [cell.entry for cell in last.cells]  # the latest version's cells
        elif last is not None:
            # not the latest version any more (recorded elsewhere, or removed): split it all
            parts = split(nb, source=key)
        size = len(content) if isinstance(content, bytes) else notebook_size(nb, parts)
        version = _record(
            connection, store, parts, key, notebook_id, latest, previous, size, message, user, kind
        )
    LAST_SPLITS.put(store.directory, key, remembered(nb, parts), size)
    return version


def _record(
    connection: Connection,
    store: ObjectStore,
    parts: Parts,
    key: str,
    notebook_id: int,
    latest: Row[Any] | None,
    previous: list[dict[str, Any]] | None,
    size: int,
    message: str | None,
    user: str | None,
    kind: str,
) -> Version:
    """The version of ``parts``: the latest when identical (named by ``message`` if it has
    no name yet), else a new one (``recorded``). ``previous`` are the latest version's cells
    when known (else they are read from its manifest)."""
    if latest is not None and latest.manifest == parts.manifest_sha:
        found = _to_version(latest, key)
        if message is not None and latest.message is None:
            connection.execute(
                update(versions)
                .where(versions.c.id == latest.id)
                .values(message=message, kind=kind)
            )
            found = replace(found, message=message, kind=kind)
        if message is None or found.message == message:
            return found
    if previous is None:
        previous = _previous_state(connection, store, latest)
    _store_parts(connection, store, parts, latest, previous)
    version = Version(
        id=0,  # given by the database below
        notebook_id=notebook_id,
        path=key,
        number=(latest.number if latest else 0) + 1,
        created_at=utcnow(),
        user=current_actor(user),
        message=message,
        kind=kind,
        size=size,
        cells=len(parts.cells),
        cells_changed=_cells_changed(parts.cells, previous),
        manifest=parts.manifest_sha,
        recorded=True,
    )
    # the row is the version's fields of the same names (every column but the id)
    row = {column.name: getattr(version, column.name) for column in versions.c}
    del row["id"]
    inserted = connection.execute(insert(versions).values(row)).inserted_primary_key
    assert inserted is not None
    return replace(version, id=inserted.id)


def remembered(nb: Mapping[str, Any], parts: Parts) -> LastSplit:
    """The split of a version just recorded, to compare the next save of it with."""
    cells = known_cells(nb["cells"], parts.cells, parts.entry_json, parts.reused)
    return LastSplit(parts.manifest_sha, cells)


def _notebook_id(connection: Connection, key: str) -> int:
    """The id of the notebook kept under ``key``, recorded now if it has none yet."""
    found = connection.scalar(select(notebooks.c.id).where(notebooks.c.path == key))
    if found is None:
        inserted = connection.execute(insert(notebooks).values(path=key)).inserted_primary_key
        assert inserted is not None
        found = inserted.id
    return int(found)


def _latest_row(connection: Connection, notebook_id: int) -> Row[Any] | None:
    query = (
        select(versions)
        .where(versions.c.notebook_id == notebook_id)
        .order_by(versions.c.number.desc())
        .limit(1)
    )
    return connection.execute(query).first()


def _previous_state(
    connection: Connection, store: ObjectStore, latest: Row[Any] | None
) -> list[dict[str, Any]] | None:
    """The cells of the latest manifest, or ``None`` (no version yet, or it is damaged)."""
    if latest is None:
        return None
    try:
        blobs = store.read(connection, [latest.manifest], recent=True)
        manifest = json.loads(blobs[latest.manifest])
    except DamagedObjectError as error:
        log.warning("nbtools: recording without deltas: %s", error.message)
        return None
    cells: list[dict[str, Any]] = manifest["cells"]
    return cells


def _store_parts(
    connection: Connection,
    store: ObjectStore,
    parts: Parts,
    latest: Row[Any] | None,
    previous: list[dict[str, Any]] | None,
) -> None:
    """Write the blobs and manifest the store lacks, as deltas against the previous state."""
    # what the latest version refers to is stored already: only look up the rest
    known = set(referenced_blobs({"cells": previous})) if previous else set()
    wanted = [sha for sha in [*parts.blobs, parts.manifest_sha] if sha not in known]
    present = known | store.existing(connection, wanted)
    bases = _delta_bases(parts, previous)
    if latest is not None:
        bases[parts.manifest_sha] = latest.manifest
    new_objects = [
        NewObject(blob, bases.get(sha)) for sha, blob in parts.blobs.items() if sha not in present
    ]
    if parts.manifest_sha not in present:
        new_objects.append(NewObject(parts.manifest_blob(), bases.get(parts.manifest_sha)))
    needed = {new.base for new in new_objects if new.base}
    try:
        base_content = store.read(connection, needed, recent=True) if needed else {}
    except DamagedObjectError as error:
        log.warning("nbtools: recording without deltas: %s", error.message)
        base_content = {}
    store.write(connection, new_objects, base_content)


def _delta_bases(parts: Parts, previous: list[dict[str, Any]] | None) -> dict[str, str]:
    """For each blob, the blob at the same place in the previous version (matched by cell id,
    else by position): the best dictionary to compress it against."""
    if not previous:
        return {}
    by_id = {cell["id"]: cell for cell in previous if isinstance(cell.get("id"), str)}
    bases: dict[str, str] = {}
    for index, cell in enumerate(parts.cells):
        old = by_id.get(cell.get("id", "")) or (previous[index] if index < len(previous) else None)
        if old is None:
            continue
        pairs = [(cell.get("source"), old.get("source"))]
        pairs += zip(cell.get("outputs", ()), old.get("outputs", ()), strict=False)
        pairs.append((cell.get("attachments"), old.get("attachments")))
        for new_sha, old_sha in pairs:
            if new_sha and old_sha and new_sha != old_sha:
                bases.setdefault(new_sha, old_sha)
    return bases


def _cells_changed(cells: list[dict[str, Any]], previous: list[dict[str, Any]] | None) -> int:
    """Cells added, removed or modified since the previous version."""
    if previous is None:
        return len(cells)
    ids = [cell.get("id") for cell in cells]
    old_ids = [cell.get("id") for cell in previous]
    if all(isinstance(i, str) for i in ids + old_ids):
        old = dict(zip(old_ids, previous, strict=True))
        modified_or_added = sum(1 for cell in cells if old.get(cell["id"]) != cell)
        return modified_or_added + len(set(old_ids) - set(ids))
    return sum(a != b for a, b in zip(cells, previous, strict=False)) + abs(
        len(cells) - len(previous)
    )


def _to_version(row: Row[Any], path: str) -> Version:
    created_at = row.created_at
    if created_at.tzinfo is None:  # SQLite keeps no offset; every timestamp is stored in UTC
        created_at = created_at.replace(tzinfo=timezone.utc)
    return Version(
        id=row.id,
        notebook_id=row.notebook_id,
        path=path,
        number=row.number,
        created_at=created_at,
        user=row.user,
        message=row.message,
        kind=row.kind,
        size=row.size,
        cells=row.cells,
        cells_changed=row.cells_changed,
        manifest=row.manifest,
    )


# -- reading ---------------------------------------------------------------------------------


def _versions_of(key: str) -> Select[Any]:
    return (
        select(versions)
        .join(notebooks, notebooks.c.id == versions.c.notebook_id)
        .where(notebooks.c.path == key)
    )


def history(
    project: Project, path: str, limit: int | None = None, *, must_exist: bool = False
) -> list[Version]:
    """The versions of a notebook, newest first (empty if it has none); at most ``limit``, a
    whole number from 1 to the store's largest integer.

    With ``must_exist``, a path with no version that is no notebook file either (a typo) is a
    :class:`NotFoundError`, as :func:`resolve` says; a deleted notebook lists its versions.
    """
    if limit is not None:
        check_limit(limit, MAX_INTEGER)
    key = notebook_key(project, path)
    with project.store.connection() as connection:
        query = _versions_of(key).order_by(versions.c.number.desc()).limit(limit)
        found = [_to_version(row, key) for row in connection.execute(query)]
    if not found and must_exist and not project.resolve(key).is_file():
        raise NotFoundError(_no_version(project, key, "latest", known=False), path=key)
    return found


def latest_other_than(project: Project, path: str, manifest: str) -> Version | None:
    """The newest version of a notebook whose content (manifest) is not ``manifest``."""
    key = notebook_key(project, path)
    with project.store.connection() as connection:
        query = (
            _versions_of(key)
            .where(versions.c.manifest != manifest)
            .order_by(versions.c.number.desc())
            .limit(1)
        )
        row = connection.execute(query).first()
    return None if row is None else _to_version(row, key)


def latest(project: Project, path: str) -> Version | None:
    """The newest version of a notebook, or ``None`` if it has none."""
    found = history(project, path, limit=1)
    return found[0] if found else None


def get(project: Project, version_id: int) -> Version:
    """A version by its id (unique in the project)."""
    with project.store.connection() as connection:
        found = connection.execute(
            select(versions, notebooks.c.path)
            .join(notebooks, notebooks.c.id == versions.c.notebook_id)
            .where(versions.c.id == version_id)
        ).first()
    if found is None:
        raise NotFoundError(
            f"There is no version with id {version_id}. List versions with "
            "`nbtools version log NOTEBOOK`.",
            version_id=version_id,
        )
    return _to_version(found, found.path)


#: A version number or ``latest`` (``~N``: N versions before it); numbers in ASCII digits only.
_REF = re.compile(r"([0-9]+)|latest(?:~([0-9]+))?")


def resolve(project: Project, path: str, ref: str, field: str = "ref") -> Version:
    """A version of ``path`` by reference: its number (``3``), ``latest`` or ``latest~N``;
    errors name the reference as the input ``field``, but for a notebook that neither exists
    nor has versions (its path is what is wrong)."""
    match = _REF.fullmatch(ref.strip())
    if match is None:
        raise InvalidInputError(
            f"{ref!r} is not a version reference. Use a version number (e.g. 3), 'latest', or "
            "'latest~N' for the Nth version before the latest.",
            ref=ref,
            field=field,
        )
    key = notebook_key(project, path)
    # None past the largest version number (or offset) the store holds: no such version
    wanted = whole_number(match.group(1) or match.group(2) or "0")
    if match.group(1) is not None and wanted is not None and wanted > MAX_ID:
        wanted = None
    with project.store.connection() as connection:
        row = None
        if wanted is not None:
            query = _versions_of(key)
            if match.group(1) is not None:
                query = query.where(versions.c.number == wanted)
            else:
                query = query.order_by(versions.c.number.desc()).offset(wanted)
            row = connection.execute(query.limit(1)).first()
        known = row is not None or connection.execute(_versions_of(key).limit(1)).first()
    if row is None:
        # no such notebook at all: its path is what is wrong, not the reference
        about = {"field": field} if known or project.resolve(key).is_file() else {}
        raise NotFoundError(_no_version(project, key, ref, bool(known)), path=key, ref=ref, **about)
    return _to_version(row, key)


def _no_version(project: Project, key: str, ref: str, known: bool) -> str:
    """Why ``ref`` finds no version of ``key``: which of its versions exist, or that it has
    none yet, or that there is no such notebook."""
    if known:
        return f"{key} has no version {ref!r}. List its versions with `nbtools version log {key}`."
    if project.resolve(key).is_file():
        return (
            f"{key} has no versions yet: `nbtools version save {key}` records one (JupyterLab "
            "records one at every save)."
        )
    return f"{key} has no versions, and there is no such notebook in the project."
