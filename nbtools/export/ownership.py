"""Whose package a directory holds, and the refusals that keep one notebook's from another's.

A package belongs to the notebook its manifest names (``notebook_path``: its path from the
package's directory; a manifest of an older version names only its file name), or to the set
of notebooks it lists (``notebooks``): writing another notebook's package into that directory,
even one of the same file name in another folder, is refused (``ConflictError`` with the owner
in ``details["notebook"]``) unless ``force`` confirms the overwrite. A set sharing a notebook
with the recorded one (a notebook added to the set or removed from it) writes the same package.
A directory without a manifest belongs to nobody: files in it that nbtools did not write
(:func:`foreign_refusal`) refuse the write too. :mod:`nbtools.export.writer` asks both::

    refused = foreign_refusal(out, store_dir) or owner_refusal(manifest, out, name, notebooks)
"""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nbtools.errors import ConflictError
from nbtools.outfiles import FORCE
from nbtools.paths import DEFAULT_STORE_DIR

#: Entries that do not make a directory "hold files we did not generate": tools' folders, and
#: nbtools' own store directory (a project's, by its default name; the caller's project's
#: store, whatever its name, is passed as ``store_dir``).
_IGNORED = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".DS_Store", ".ipynb_checkpoints", DEFAULT_STORE_DIR}
)


def notebook_from(out: Path, notebook: Path) -> str:
    """The path of ``notebook`` from the package directory ``out``, as manifests record it."""
    return Path(os.path.relpath(notebook.resolve(), out.resolve())).as_posix()


def foreign_refusal(out: Path, store_dir: Path | None) -> ConflictError | None:
    """The refusal of a write into ``out``, which holds no manifest, when files nbtools did
    not generate are there (``store_dir``: the project's store directory, never one)."""
    foreign = _foreign_entries(out, store_dir)
    if not foreign:
        return None
    return ConflictError(
        f"{out} already holds files nbtools did not generate "
        f"({', '.join(foreign[:5])}). Choose an empty or new directory, or "
        "force the write (those files are kept).",
        path=str(out),
        files=foreign,
        kind="foreign-files",
        override=FORCE,
    )


def _foreign_entries(out: Path, store_dir: Path | None) -> list[str]:
    if not out.is_dir():
        return []
    store = store_dir.resolve() if store_dir is not None else None
    return sorted(
        entry.name
        for entry in out.iterdir()
        if entry.name not in _IGNORED and (store is None or entry.resolve() != store)
    )


def owner_refusal(
    manifest: Mapping[str, Any], out: Path, name: str, notebooks: Sequence[Path | None]
) -> ConflictError | None:
    """The refusal of a write of ``notebooks`` (the first's file name ``name``) into ``out``,
    whose ``manifest`` names other notebooks, naming the owner; None when it is theirs."""
    if not _owned_by_another(manifest, out, name, notebooks):
        return None
    owners = _owners(manifest, out, name, notebooks)
    return ConflictError(
        f"{out} holds the package of another notebook, {owners.owner}{owners.gone}. Choose "
        "another output directory, or force the write to replace that package with "
        f"{owners.ours}'s.",
        path=str(out),
        notebook=owners.owner,
        gone=bool(owners.gone),
        field="output",
        kind="another-notebook",
        override=FORCE,
    )


def _owned_by_another(
    manifest: Mapping[str, Any], out: Path, name: str, notebooks: Sequence[Path | None]
) -> bool:
    """Whether the package in ``out`` comes from other notebooks than ``notebooks`` (the file
    ``name``, or a set of them): by path when the manifest records one and the notebook's file
    is known, none of them shared, else by file name."""
    owner = manifest.get("notebook")
    recorded = manifest.get("notebook_path")
    if isinstance(recorded, str) and notebooks[0] is not None:
        theirs = {(out / recorded).resolve()}
        if "notebooks" in manifest:  # a set's package: imported only for one
            from nbtools.export.notebook_set import recorded_notebooks

            theirs = recorded_notebooks(manifest, out)
        return theirs.isdisjoint(n.resolve() for n in notebooks if n is not None)
    return isinstance(owner, str) and owner != name


class _Owners:
    """The notebook owning a package and the one written in its place, as people tell them
    apart, and a remark when the owner no longer exists."""

    __slots__ = ("gone", "ours", "owner")

    def __init__(self, owner: str, ours: str, gone: str) -> None:
        self.owner, self.ours, self.gone = owner, ours, gone


def _owners(
    manifest: Mapping[str, Any], out: Path, name: str, notebooks: Sequence[Path | None]
) -> _Owners:
    """The notebook owning the package in ``out`` and ``notebook`` (file ``name``), each by
    its path from the folder the two share (``a/report.ipynb`` and ``b/report.ipynb``)."""
    recorded = manifest.get("notebook_path")
    notebook = notebooks[0]
    if not isinstance(recorded, str) or notebook is None:
        return _Owners(str(manifest.get("notebook")), name, "")
    owner = str((out / recorded).resolve())
    ours = str(notebook.resolve())
    shared = os.path.commonpath([os.path.dirname(owner), os.path.dirname(ours)])
    gone = (
        ""
        if os.path.exists(owner)
        else " (no longer there: if you renamed or moved it, forcing the write takes its "
        "package over)"
    )
    return _Owners(
        Path(os.path.relpath(owner, shared)).as_posix(),
        Path(os.path.relpath(ours, shared)).as_posix(),
        gone,
    )
