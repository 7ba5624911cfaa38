"""Keeping a notebook's history when it (or its folder) is renamed or moved."""

from __future__ import annotations

import os
import re

from sqlalchemy import Connection, func, or_, select, update

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.notebooks import parse_notebook
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.history import disk_content, notebook_key, objects
from nbtools.versioning.parts import split
from nbtools.versioning.tables import versions

#: A history set aside by a rename (``<path>~<id>``): a deleted notebook's, never moved.
_SET_ASIDE = re.compile(r".*~[0-9]+")


def rename(project: Project, old: str, new: str) -> int:
    """Move the history of notebook ``old`` — or of every notebook under folder ``old`` — to
    ``new``. Returns how many notebooks moved.

    A history left at a destination by a deleted notebook is kept, set aside as
    ``<path>~<id>`` (:func:`set_aside` lists them), so the renamed notebook's own history
    takes the name.
    """
    old_key, new_key = notebook_key(project, old), notebook_key(project, new)
    if old_key == new_key:
        return 0
    table = notebooks
    with objects(project).lock(), project.store.connection(write=True) as connection:
        moving = connection.execute(
            select(table.c.id, table.c.path).where(
                or_(
                    table.c.path == old_key,
                    table.c.path.startswith(old_key + "/", autoescape=True),
                )
            )
        ).all()
        for record in moving:
            destination = new_key + record.path[len(old_key) :]
            stale = connection.scalar(select(table.c.id).where(table.c.path == destination))
            if stale is not None:
                _set_path(connection, stale, f"{destination}~{stale}")
            _set_path(connection, record.id, destination)
        return len(moving)


def move(project: Project, old: str, new: str) -> bool:
    """Move notebook (or folder) ``old`` to ``new`` with its history, as ``git mv`` does, or,
    when its file was moved already (``old`` gone and ``new`` there: a shell ``mv``), its
    history only. True when the file was moved here. Refused, nothing changed: ``new`` taken
    by another file (moving the file), ``new``'s folder missing, nothing to move at ``old``."""
    old_key, new_key = notebook_key(project, old), notebook_key(project, new)
    source, target = project.resolve(old_key), project.resolve(new_key)
    if old_key == new_key:
        raise InvalidInputError(f"{new} is where {old} is already.", field="new")
    if not os.path.lexists(source):
        if not os.path.lexists(target):
            raise NotFoundError(
                f"Neither {old} nor {new} exists: move the file to {new} first, or give the "
                "path it is at.",
                field="new",
            )
        if rename(project, old_key, new_key) == 0:
            raise NotFoundError(
                f"{old} has no file and no history to move: `nbtools version log {new}` "
                "lists the history at the new path.",
                field="old",
            )
        return False
    if os.path.lexists(target):
        raise InvalidInputError(
            f"{new} exists already: move or remove it first (nothing was moved).", field="new"
        )
    if not target.parent.is_dir():
        raise InvalidInputError(
            f"{new_key}'s folder does not exist: create it first (nothing was moved).",
            field="new",
        )
    os.rename(source, target)
    try:
        rename(project, old_key, new_key)
    except BaseException:
        os.rename(target, source)  # the file goes back where its history is
        raise
    return True


def set_aside(project: Project, path: str) -> list[str]:
    """The histories set aside at ``path`` (``<path>~<id>``, oldest first): each was a deleted
    notebook's, whose path another notebook was renamed to. Read them by that path
    (``nbtools version log 'nb.ipynb~7'``)."""
    key = notebook_key(project, path)
    with project.store.connection() as connection:
        paths = connection.scalars(
            select(notebooks.c.path)
            .where(notebooks.c.path.startswith(key + "~", autoescape=True))
            .order_by(notebooks.c.id)
        ).all()
    return [found for found in paths if found[len(key) + 1 :].isdigit()]


def _set_path(connection: Connection, notebook_id: int, path: str) -> None:
    connection.execute(update(notebooks).where(notebooks.c.id == notebook_id).values(path=path))


def moved_from(project: Project, path: str, content: bytes | None = None) -> list[str]:
    """The notebooks ``path`` (with ``content``, its file's bytes; None: the file on disk, read
    only when ``path`` has no history, none when it has no file or one that is no notebook)
    may have been moved from outside Jupyter (a shell ``mv``): those whose file no longer
    exists and whose latest version has this very content (oldest first; none when ``path``
    has a history of its own). A notebook whose file still exists was copied, not moved: it
    is none of them. :func:`nbtools.lineage.continue_moved` moves the one history found."""
    key = notebook_key(project, path)
    latest = (
        select(versions.c.notebook_id, func.max(versions.c.number).label("number"))
        .group_by(versions.c.notebook_id)
        .subquery()
    )
    with project.store.connection() as connection:
        if connection.scalar(select(notebooks.c.id).where(notebooks.c.path == key)) is not None:
            return []
        if content is None:
            try:
                nb = parse_notebook(disk_content(project, key), source=key, lone_surrogates=True)
            except (
                NotFoundError,
                InvalidInputError,
            ):  # no file yet (a new notebook), or no notebook
                return []
        else:
            nb = parse_notebook(content, source=key, lone_surrogates=True)
        manifest = split(nb, source=key).manifest_sha
        found = connection.scalars(
            select(notebooks.c.path)
            .join(versions, versions.c.notebook_id == notebooks.c.id)
            .join(
                latest,
                (latest.c.notebook_id == versions.c.notebook_id)
                & (latest.c.number == versions.c.number),
            )
            .where(versions.c.manifest == manifest)
            .order_by(notebooks.c.id)
        ).all()
    return [
        old
        for old in found
        if not _SET_ASIDE.fullmatch(old) and not os.path.lexists(project.resolve(old))
    ]
