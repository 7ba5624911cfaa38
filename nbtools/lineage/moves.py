"""A notebook's packages follow it when it is renamed or moved.

A package's manifest names the notebook it comes from (``notebook_path``, from the package's
directory; a set's package each of its notebooks too, ``notebooks``), and a write of another
notebook's package there is refused. When a notebook's history moves (Jupyter's rename,
``nbtools version move``), each package pinned to one of its versions (reference ``extraction
<directory>``, :mod:`.extraction`) gets the notebook's new path in its manifest, wherever it
names it, so the next extraction of the renamed notebook (or of the set, every notebook of it
renamed) updates its package instead of being refused as another notebook's, and finds it
without ``-o``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import or_, select

from nbtools.atomic import atomic_write
from nbtools.export.model import MANIFEST, manifest_text
from nbtools.export.writer import read_manifest
from nbtools.lineage.extraction import EXTRACTION
from nbtools.locks import exclusive
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.history import notebook_key
from nbtools.versioning.tables import version_refs, versions


def follow_move(project: Project, old: str, new: str) -> list[str]:
    """Once the history of notebook ``old`` (or of every notebook under folder ``old``) moved
    to ``new``, point the manifest of each package extracted from it at the notebook's new
    path; the packages' directories (as references name them), of those that changed.

    A manifest naming another notebook (written again since from another one) is left as it
    is, as is a package directory that is gone."""
    old_key, new_key = notebook_key(project, old), notebook_key(project, new)
    with project.store.connection() as connection:
        found = connection.execute(
            select(version_refs.c.ref, notebooks.c.path)
            .distinct()
            .join(versions, versions.c.id == version_refs.c.version_id)
            .join(notebooks, notebooks.c.id == versions.c.notebook_id)
            .where(
                version_refs.c.kind == EXTRACTION,
                or_(
                    notebooks.c.path == new_key,
                    notebooks.c.path.startswith(new_key + "/", autoescape=True),
                ),
            )
        ).all()
    followed = set()
    for ref, path in found:
        was = project.root / (old_key + path[len(new_key) :])
        if not ref.startswith("sha256:") and _repoint(project.root / ref, was, project.root / path):
            followed.add(ref)
    return sorted(followed)


def _repoint(out: Path, was: Path, now: Path) -> bool:
    """Make the manifest in ``out`` name ``now`` where it names ``was`` (its ``notebook_path``,
    a set's entry in ``notebooks``), under the directory's lock (a write of the package
    waits); False when it names another notebook, or is gone."""
    try:
        with exclusive(out, directory=True):
            manifest = read_manifest(out)
            members = manifest.get("notebooks")
            entries = [manifest, *(members if isinstance(members, list) else [])]
            named = [
                entry
                for entry in entries
                if isinstance(entry, dict)
                and isinstance(recorded := entry.get("notebook_path"), str)
                and (out / recorded).resolve() == was.resolve()
            ]
            if not named:
                return False
            path = Path(os.path.relpath(now.resolve(), out.resolve())).as_posix()
            for entry in named:
                entry["notebook_path"] = path
            atomic_write(out / MANIFEST, manifest_text(manifest).encode())
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True
