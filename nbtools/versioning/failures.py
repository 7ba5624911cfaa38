"""The version store's files failing: an :class:`OSError` of its lock, folders or object
files turned into a :class:`~nbtools.errors.StoreError` that names the path at fault and
says what to do (the bare error, ``IsADirectoryError(21, 'Is a directory')``, names neither),
for the CLI (exit 2) and the Versions section (the server's failure report) alike."""

from __future__ import annotations

import errno
from pathlib import Path

from nbtools.errors import StoreError

#: What the store's own paths need, by the error of a path that is not what it should be.
_IN_THE_WAY = (errno.EISDIR, errno.ENOTDIR, errno.EEXIST)
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def unusable(error: OSError, directory: Path, doing: str) -> StoreError:
    """The error for ``error``, raised while ``doing`` (``"lock"``, ``"write to"``) the
    version store in ``directory``: the path it names (or the file in its way), the
    problem, and what to do about it."""
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
        found = (
            f"{path}: {problem}. Make {directory} writable for the user the server and the "
            "CLI run as"
        )
    else:
        found = f"{path}: {problem}. Check the free space and permissions of {directory}"
    return StoreError(
        f"Cannot {doing} the version store: {found}, then try again.",
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
