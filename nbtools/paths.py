"""Resolving user-supplied paths safely inside a root directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePosixPath

from nbtools.errors import InvalidInputError, PathOutsideRootError

#: The store directory's default name, inside the project's root (``NbtoolsSettings.store_dir``).
DEFAULT_STORE_DIR = ".nbtools"


def resolve_inside(root: Path, user_path: str) -> Path:
    """Resolve ``user_path`` (relative, ``/``-separated) to an absolute path inside ``root``.

    Refuses NUL bytes, absolute paths, ``..`` segments and anything that — after following
    symlinks — lands outside ``root``; a name too long for the file system is bad input too. Containment is checked on path components, never as a
    string prefix, so a sibling such as ``/data/root-other`` is not inside ``/data/root``.
    Each refusal names the root (the server shows it to no client: it writes paths relative to
    its root).
    """
    if "\x00" in user_path:
        raise PathOutsideRootError("The path contains a NUL byte.", path=user_path)
    real_root = root.resolve()
    # On POSIX a backslash is a legal character of a file name, not a separator.
    posix = PurePosixPath(user_path if os.sep == "/" else user_path.replace("\\", "/"))
    if posix.is_absolute() or Path(user_path).is_absolute():
        raise PathOutsideRootError(
            f"Absolute paths are not accepted: {user_path!r}. Give a path relative to the root "
            f"{real_root}.",
            path=user_path,
        )
    if ".." in posix.parts:
        raise PathOutsideRootError(
            f"The path {user_path!r} contains '..': give a path inside the root {real_root}.",
            path=user_path,
        )
    candidate = (real_root / posix).resolve()
    _check_length(candidate, user_path)
    if candidate != real_root and real_root not in candidate.parents:
        raise PathOutsideRootError(
            f"The path {user_path!r} leads outside the root {real_root} through a symbolic "
            "link: give a path inside it.",
            path=user_path,
        )
    return candidate


def _check_length(path: Path, user_path: str) -> None:
    """Refuse a path the file system cannot name (a file or folder name, or the whole path,
    too long), here rather than as an ``OSError`` of whatever opens it later."""
    try:
        os.lstat(path)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise InvalidInputError(
                f"The path {user_path!r:.80} is too long for the file system: shorten its "
                "file or folder names.",
                path=user_path,
            ) from None
