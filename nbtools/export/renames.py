"""A package stale only because its notebooks were renamed: what ``--check`` tells apart.

When a notebook moves with its history (``nbtools version move``, a rename in JupyterLab), the
manifest of each package extracted from it follows (:mod:`nbtools.lineage.moves`): its entry
names the notebook's new path, and keeps the name the package's files give it (headers, cell
markers, test names) until the next write. A check then finds every file stale though no
notebook changed. :func:`names_before_move` reads those names, so that the check renders the
package with them too and, when that is the package on disk, passes with a note
(:func:`renamed_note`) saying to extract once, instead of failing a build that a rename alone
turned red. Imported only for a check that found the package stale.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def names_before_move(
    manifest: Mapping[str, Any], out: Path, paths: Sequence[Path]
) -> list[str] | None:
    """The names the package in ``out`` gives the notebooks at ``paths`` (a set's, in its
    order), by its ``manifest``: each entry's ``notebook``, when the entries record exactly
    those notebooks (``notebook_path``, in the same order); None otherwise."""
    members = manifest.get("notebooks")
    entries = members if isinstance(members, list) else [manifest]
    if len(entries) != len(paths):
        return None
    names = []
    for entry, path in zip(entries, paths, strict=True):
        recorded = entry.get("notebook_path") if isinstance(entry, dict) else None
        name = entry.get("notebook") if isinstance(entry, dict) else None
        if not (isinstance(recorded, str) and isinstance(name, str)):
            return None
        if (out / recorded).resolve() != path.resolve():
            return None
        names.append(name)
    return names


def renamed_note(old: Sequence[str], new: Sequence[str]) -> str:
    """What a check that found the package stale only in the names of renamed notebooks
    tells the user."""
    renamed = ", ".join(
        f"{was} (now {now})" for was, now in zip(old, new, strict=True) if was != now
    )
    return (
        f"the package's files still name {renamed} as before the move, which its manifest "
        "followed; the notebooks give this package under their old names, so the check "
        "passes. Run nbtools extract without --check once to write the new names into the "
        "package's files (and commit them)."
    )
