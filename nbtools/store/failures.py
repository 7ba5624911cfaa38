"""The store's files failing: an :class:`OSError` of the project's store directory, its
database's lock, or the version store's lock, folders and object files turned into a
:class:`~nbtools.errors.StoreError` that names the path at fault and says what to do (the bare
error, ``IsADirectoryError(21, 'Is a directory')`` or a traceback of ``PermissionError``, names
neither), for the CLI (exit 2, ``--json``: the error object) and the server alike."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from nbtools.errors import StoreError

#: What the store's own paths need, by the error of a path that is not what it should be.
_IN_THE_WAY = (errno.EISDIR, errno.ENOTDIR, errno.EEXIST)
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def unusable(
    error: OSError, directory: Path, doing: str, store: str = "the version store"
) -> StoreError:
    """The error for ``error``, raised while ``doing`` (``"lock"``, ``"write to"``,
    ``"make"``) ``store`` in ``directory``: the path it names (or the file in its way), the
    problem, and what to do about it (a folder not writable: the nearest one that exists,
    which is the one to make writable, or to work elsewhere than)."""
    path = Path(error.filename) if error.filename else directory
    problem = error.strerror or type(error).__name__
    if error.errno == errno.EISDIR:
        found = (
            f"{path} is a folder where the store keeps a file ({problem}). Move it out of "
            f"{directory} (nbtools makes the file again)"
        )
    elif error.errno in _IN_THE_WAY:
        path = _file_in_the_way(path)
        found = (
            f"{path} is a file where the store keeps a folder ({problem}). Move it out of the "
            "way (nbtools makes the folder again)"
        )
    elif error.errno == errno.ENOSPC:
        found = f"{path}: {problem}. Free some space on the disk holding {directory}"
    elif error.errno in _NOT_ALLOWED:
        writable = next(d for d in (directory, *directory.parents) if os.path.exists(d))
        found = (
            f"{path}: {problem}. Make {writable} writable for the user the server and the "
            "CLI run as, or use a project in a folder you may write to (its root: --root or "
            "$NBTOOLS_ROOT; its store: $NBTOOLS_STORE_DIR)"
        )
    else:
        found = f"{path}: {problem}. Check the free space and permissions of {directory}"
    return StoreError(
        f"Cannot {doing} {store}: {found}, then try again.",
        path=str(path),
        problem=problem,
    )


def _file_in_the_way(path: Path) -> Path:
    """``path`` or the nearest folder above it that exists and is not a folder (what makes
    ``ENOTDIR`` of ``packs/pack-000001.pack`` when ``packs`` is a file); ``path`` if none
    is."""
    for candidate in (path, *path.parents):
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return path
