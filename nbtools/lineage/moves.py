"""A notebook's packages follow it when it is renamed or moved.

A package's manifest names the notebook it comes from (``notebook_path``, from the package's
directory; a set's package each of its notebooks too, ``notebooks``), and a write of another
notebook's package there is refused. When a notebook's history moves (Jupyter's rename,
``nbtools version move``, a shell ``mv`` recognised by :func:`continue_moved`), each package
whose manifest names the notebook's old path (or, for a folder, a notebook under it) gets the
new path there, so the next extraction of the renamed notebook (or of the set, every notebook
of it renamed) updates its package instead of being refused as another notebook's, and finds
it without ``-o``. The packages are those pinned to one of the notebook's versions (reference
``extraction <directory>``, :mod:`.extraction`) and those the project's search for packages
finds (:func:`nbtools.export.home.manifest_folders`): a package written with ``--lineage off``,
or whose background lineage is still pending, is pinned to nothing.

A pinned package whose directory's path is longer than 255 characters is referenced by a hash
of it, which cannot be turned back into the directory: inside the project's search it is found
all the same; outside (another folder of the machine, or deeper than the search goes) it cannot
follow, and :attr:`Followed.lost` counts it for the caller to warn (:meth:`Followed.warning`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import or_, select

from nbtools.atomic import atomic_write
from nbtools.errors import InvalidInputError
from nbtools.lineage.extraction import EXTRACTION, HASHED, output_name, output_ref
from nbtools.locks import exclusive
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.history import notebook_key
from nbtools.versioning.renames import moved_from, rename
from nbtools.versioning.tables import version_refs, versions


class Followed(NamedTuple):
    """What :func:`follow_move` changed."""

    #: The directories (from the project's root, else absolute) whose manifest now names the
    #: notebook's new path.
    packages: list[str]
    #: Packages pinned to the notebook under a hashed reference (a directory's path longer than
    #: 255 characters) that the project's search did not find: they still name the old path.
    lost: int = 0
    #: How many of its notebooks each of :attr:`packages` now names at their new paths: 1, or
    #: for a set's package whose folder moved, each of its notebooks under the folder.
    notebooks: Mapping[str, int] = MappingProxyType({})

    def warning(self, old: str, new: str) -> str | None:
        """What to tell the user of the packages that could not follow; None when none."""
        if not self.lost:
            return None
        count, names, these = (
            ("a package", "names", "this one is")
            if self.lost == 1
            else (f"{self.lost} packages", "name", "these are")
        )
        return (
            f"Warning: {count} extracted from {old} still {names} it: a directory whose path is "
            "longer than 255 characters is only found inside the project (at most 6 folders "
            f"deep), and {these} not. Extract {new} into it again with -o DIR --force."
        )


class MovedHere(NamedTuple):
    """What :func:`continue_moved` found and did."""

    #: The notebooks whose file is gone and whose latest version has the content (oldest first).
    candidates: list[str]
    #: The packages that followed, when there was exactly one candidate, ``candidates[0]``,
    #: whose history moved; None when nothing moved.
    followed: Followed | None = None


def continue_moved(project: Project, path: str, content: bytes | None = None) -> MovedHere:
    """Recognise ``path``, a notebook without a history of its own, as one moved outside
    Jupyter (a shell ``mv``; ``content``: its file's bytes, None: read them when needed):
    with exactly one candidate (:func:`nbtools.versioning.moved_from`), that notebook's
    history moves to ``path`` and its packages follow. With several nothing moves: the
    caller says so. ``nbtools version save`` and Jupyter's save hook both call it."""
    found = moved_from(project, path, content)
    if len(found) != 1:
        return MovedHere(found)
    rename(project, found[0], path)
    return MovedHere(found, follow_move(project, found[0], path))


def follow_move(project: Project, old: str, new: str) -> Followed:
    """Once the history of notebook ``old`` (or of every notebook under folder ``old``) moved
    to ``new``, point the manifest of each package extracted from it at the notebook's new
    path (module docstring: which packages).

    Only an entry naming exactly the old path (or one under the old folder) changes: a
    manifest naming another notebook (written again since from another one) is left as it
    is, as is a package directory that is gone or a damaged manifest."""
    from nbtools.export.home import manifest_folders  # the export package: only on a move

    old_key, new_key = notebook_key(project, old), notebook_key(project, new)
    was, now = project.root / old_key, project.root / new_key
    if not new_key.endswith(".ipynb") and not now.is_dir():
        return Followed([])  # no package comes from another kind of file: nothing to search
    refs = _pinned(project, new_key)
    searched = {folder.resolve() for folder in manifest_folders(project.root)}
    pinned = {(project.root / ref).resolve() for ref in refs if not ref.startswith(HASHED)}
    followed = {
        output_name(project, out): count
        for out in pinned | searched
        if (count := _repoint(out, was, now))
    }
    lost = {ref for ref in refs if ref.startswith(HASHED)}
    lost -= {output_ref(project, folder) for folder in searched}
    return Followed(sorted(followed), len(lost), followed)


def _pinned(project: Project, new_key: str) -> set[str]:
    """The references of the packages pinned to a version of the notebook now at ``new_key``
    (or of one under that folder)."""
    with project.store.connection() as connection:
        found = connection.scalars(
            select(version_refs.c.ref)
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
    return set(found)


def _moved(recorded: Path, was: Path, now: Path) -> Path | None:
    """Where the notebook at ``recorded`` is now, when it is ``was`` or under that folder."""
    if recorded == was:
        return now
    return now / recorded.relative_to(was) if recorded.is_relative_to(was) else None


def _repoint(out: Path, was: Path, now: Path) -> int:
    """Make the manifest in ``out`` name the notebooks it names at ``was`` (or under that
    folder) at ``now`` (its ``notebook_path``, a set's entries in ``notebooks``), under the
    directory's lock (a write of the package waits); how many notebooks it repointed, 0 when
    it names none of them, or is gone or damaged."""
    from nbtools.export.model import MANIFEST, manifest_text
    from nbtools.export.writer import read_manifest

    was, now = was.resolve(), now.resolve()
    try:
        with exclusive(out, directory=True):
            manifest = read_manifest(out)
            members = manifest.get("notebooks")
            entries = [manifest, *(members if isinstance(members, list) else [])]
            named = [
                (entry, moved)
                for entry in entries
                if isinstance(entry, dict)
                and isinstance(recorded := entry.get("notebook_path"), str)
                and (moved := _moved((out / recorded).resolve(), was, now)) is not None
            ]
            if not named:
                return 0
            for entry, moved in named:
                entry["notebook_path"] = Path(os.path.relpath(moved, out.resolve())).as_posix()
            atomic_write(out / MANIFEST, manifest_text(manifest).encode())
    except (FileNotFoundError, NotADirectoryError, InvalidInputError):
        return 0
    return len({moved for _, moved in named})  # a set's first notebook: entered twice
