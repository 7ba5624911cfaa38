"""Keeping a notebook's history when it (or its folder) is renamed or moved."""

from __future__ import annotations

from sqlalchemy import or_, select

from nbtools.project import Project
from nbtools.store.tables import NotebookRecord
from nbtools.versioning.history import notebook_key, objects


def rename(project: Project, old: str, new: str) -> int:
    """Move the history of notebook ``old`` — or of every notebook under folder ``old`` — to
    ``new``. Returns how many notebooks moved.

    A history left at a destination by a deleted notebook is kept, set aside as
    ``<path>~<id>``, so the renamed notebook's own history takes the name.
    """
    old_key, new_key = notebook_key(project, old), notebook_key(project, new)
    if old_key == new_key:
        return 0
    with objects(project).lock(), project.store.session(write=True) as session:
        moving = session.scalars(
            select(NotebookRecord).where(
                or_(
                    NotebookRecord.path == old_key,
                    NotebookRecord.path.startswith(old_key + "/", autoescape=True),
                )
            )
        ).all()
        for record in moving:
            destination = new_key + record.path[len(old_key) :]
            stale = session.scalars(
                select(NotebookRecord).where(NotebookRecord.path == destination)
            ).first()
            if stale is not None:
                stale.path = f"{destination}~{stale.id}"
                session.flush()
            record.path = destination
            session.flush()
        return len(moving)
