"""Where a notebook's package is: the directory of the project whose manifest names it.

Without an output directory (``nbtools extract NB`` without ``-o``, the wizard's Output
directory left empty), a notebook's package goes where it already is, so that the command
line, JupyterLab and CI update one package: ``nbtools init`` puts ``example.ipynb``'s in
``packages/example``, and an extraction without ``-o`` updates that one rather than starting
``example/`` beside it. Only a notebook without a package gets the directory beside it
(:func:`nbtools.export.build.default_output`).

The project is searched below its root, at most :data:`MAX_DEPTH` folders deep and
:data:`MAX_FOLDERS` folders in all, skipping hidden folders, virtual environments and
``node_modules``; a notebook outside the root gets the directory beside it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from nbtools.export.build import default_output
from nbtools.export.model import MANIFEST

#: How deep below the project's root a package is looked for.
MAX_DEPTH = 6
#: How many folders the search reads at most (a huge tree is not walked whole).
MAX_FOLDERS = 5000
#: How many packages of gone notebooks are named to a new package, the nearest first.
MAX_ORPHANS = 3
_SKIPPED = frozenset({"node_modules", "__pycache__", "site-packages"})


class Orphan(NamedTuple):
    """A package of the project whose notebook no longer exists: a new package may be it,
    its notebook renamed or moved. (Not a dataclass: the extraction's path does not import
    ``dataclasses``, docs/performance.md.)"""

    directory: Path
    #: The notebook it was written from, as a path from the project's root.
    notebook: str
    #: Its import name (keeping it keeps the code that imports the package working).
    package: str


class SetPackage(NamedTuple):
    """A package made of several notebooks, one of them the notebook located."""

    directory: Path
    #: Its import name.
    package: str
    #: Its notebooks, in the set's order, resolved.
    notebooks: tuple[Path, ...]


class Located(NamedTuple):
    """Where a notebook's package goes (:func:`locate`)."""

    directory: Path
    #: Whether a package of the notebook is there already (else it is a new one).
    existing: bool
    #: Without one, the project's packages whose notebook is gone, the nearest to the
    #: notebook first (at most :data:`MAX_ORPHANS`).
    orphans: tuple[Orphan, ...] = ()
    #: For one notebook (not a set): the package of several notebooks that lists it, if
    #: any (of several, the one written last), which extracting the set updates.
    in_set_of: SetPackage | None = None


def locate(root: Path, notebook: Path, package: str | None = None, in_set: bool = False) -> Located:
    """Where ``notebook``'s package (named ``package``, when given) goes: the directory whose
    manifest names it, of several the one written last; else :func:`default_output`, with
    the project's packages whose notebook is gone (one search of the project for both).
    ``in_set``: ``notebook`` is the first of a set of notebooks; a package made of several is
    only ever found for a set, so that one of its notebooks extracted alone never replaces it
    (it is named instead: ``in_set_of``)."""
    target = notebook.resolve()
    relative = Path(os.path.relpath(target, root.resolve())).as_posix()
    if relative.startswith("../"):
        return Located(default_output(notebook, package), existing=False)
    found: list[tuple[float, Path]] = []
    orphans: list[Orphan] = []
    sets: list[tuple[float, SetPackage]] = []
    for folder in manifest_folders(root.resolve()):
        manifest = _manifest(folder)
        if manifest is None:
            continue
        listing = None if in_set else _set_package(manifest, folder, target)
        if listing is not None:
            sets.append(((folder / MANIFEST).stat().st_mtime, listing))
        owner = _gone(manifest, folder)
        if owner is not None:
            orphans.append(
                Orphan(
                    folder,
                    Path(os.path.relpath(owner, root.resolve())).as_posix(),
                    str(manifest.get("package") or folder.name),
                )
            )
        elif (
            (package is None or manifest.get("package") == package)
            and (in_set or len(manifest.get("notebooks") or ()) < 2)
            and _names(manifest, folder, target, relative)
        ):
            found.append(((folder / MANIFEST).stat().st_mtime, folder))
    in_set_of = max(sets, key=lambda mtime_set: mtime_set[0])[1] if sets else None
    if found:
        return Located(max(found)[1], existing=True, in_set_of=in_set_of)
    orphans.sort(key=lambda orphan: _distance(orphan.notebook, relative))
    return Located(
        default_output(notebook, package), False, tuple(orphans[:MAX_ORPHANS]), in_set_of
    )


def set_package_at(folder: Path, notebook: Path) -> SetPackage | None:
    """The package of several notebooks in ``folder`` (an output directory given) when it
    lists ``notebook``: the package :func:`locate` names in ``in_set_of`` without one."""
    manifest = _manifest(folder)
    return None if manifest is None else _set_package(manifest, folder, notebook.resolve())


def _set_package(manifest: dict[str, Any], folder: Path, target: Path) -> SetPackage | None:
    """The package of several notebooks the manifest (in ``folder``) records, when it lists
    the notebook at ``target`` (resolved)."""
    members = set_members(manifest, folder)
    if len(members) < 2 or target not in members:
        return None
    return SetPackage(folder, str(manifest.get("package") or folder.name), tuple(members))


def set_members(manifest: dict[str, Any], folder: Path) -> list[Path]:
    """The notebooks of a set the manifest (in ``folder``) records (``notebooks``), in its
    order, resolved; none for a package of one notebook."""
    members = manifest.get("notebooks")
    paths = (
        [m.get("notebook_path") for m in members if isinstance(m, dict)]
        if isinstance(members, list)
        else []
    )
    return [(folder / path).resolve() for path in paths if isinstance(path, str)]


def _distance(path: str, notebook: str) -> tuple[int, int, str]:
    """How far the notebook at ``path`` was from ``notebook`` (paths from the root), for
    sorting: the fewer folders they share the farther, then the deeper ``path`` below them."""
    folders, ours = path.split("/")[:-1], notebook.split("/")[:-1]
    shared = 0
    while shared < min(len(folders), len(ours)) and folders[shared] == ours[shared]:
        shared += 1
    return -shared, len(folders) - shared, path


def _gone(manifest: dict[str, Any], folder: Path) -> Path | None:
    """The notebook the manifest records, when it no longer exists."""
    recorded = manifest.get("notebook_path")
    if not isinstance(recorded, str):
        return None
    owner = (folder / recorded).resolve()
    return None if owner.exists() else owner


def _names(manifest: dict[str, Any], folder: Path, target: Path, relative: str) -> bool:
    """Whether ``manifest`` (in ``folder``) names the notebook at ``target``: by its recorded
    path, or, in a manifest of an older version, by its lineage's project path."""
    recorded = manifest.get("notebook_path")
    if isinstance(recorded, str):
        return (folder / recorded).resolve() == target
    version = (manifest.get("lineage") or {}).get("notebook_version") or {}
    return isinstance(version, dict) and version.get("path") == relative


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none here, or one that the write itself will report
        return None
    return data if isinstance(data, dict) else None


def manifest_folders(root: Path) -> list[Path]:
    """The folders holding a manifest, of those searched breadth first from ``root`` within
    the bounds of the module's docstring (each folder read once)."""
    found: list[Path] = []
    level, read = [root], 0
    for depth in range(MAX_DEPTH + 1):
        below: list[Path] = []
        for folder in level[: MAX_FOLDERS - read]:
            read += 1
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            names = {entry.name for entry in entries}
            if "pyvenv.cfg" in names:
                continue  # a virtual environment: its packages are not the project's
            if MANIFEST in names:
                found.append(folder)
            if depth < MAX_DEPTH:
                below += sorted(
                    Path(entry.path)
                    for entry in entries
                    if entry.is_dir(follow_symlinks=False)
                    and not entry.name.startswith(".")
                    and entry.name not in _SKIPPED
                )
        if not below or read >= MAX_FOLDERS:
            break
        level = below
    return found
