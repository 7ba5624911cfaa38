"""Keeping a notebook's history when it (or its folder) is renamed or moved."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select, update

from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.history import notebook_key, objects


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
