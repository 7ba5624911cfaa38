"""Resolving user-supplied paths safely inside a root directory."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from nbtools.errors import PathOutsideRootError


def resolve_inside(root: Path, user_path: str) -> Path:
    """Resolve ``user_path`` (relative, ``/``-separated) to an absolute path inside ``root``.

    Refuses NUL bytes, absolute paths, ``..`` segments and anything that — after following
    symlinks — lands outside ``root``. Containment is checked on path components, never as a
    string prefix, so a sibling such as ``/data/root-other`` is not inside ``/data/root``.
    """
    if "\x00" in user_path:
        raise PathOutsideRootError("The path contains a NUL byte.", path=user_path)
    # On POSIX a backslash is a legal character of a file name, not a separator.
    posix = PurePosixPath(user_path if os.sep == "/" else user_path.replace("\\", "/"))
    if posix.is_absolute() or Path(user_path).is_absolute():
        raise PathOutsideRootError(
            f"Absolute paths are not accepted: {user_path!r}. Give a path relative to the root.",
            path=user_path,
        )
    if ".." in posix.parts:
        raise PathOutsideRootError(
            f"The path {user_path!r} contains '..'. Give a path inside the root.", path=user_path
        )
    real_root = root.resolve()
    candidate = (real_root / posix).resolve()
    if candidate != real_root and real_root not in candidate.parents:
        raise PathOutsideRootError(
            f"The path {user_path!r} resolves outside the root (through a symlink?).",
            path=user_path,
        )
    return candidate
