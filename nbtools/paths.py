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
    symlinks — lands outside ``root``; a loop of symbolic links or a name too long for the file
    system is bad input too (:func:`real_path`). Containment is checked on path components,
    never as a string prefix, so a sibling such as ``/data/root-other`` is not inside
    ``/data/root``. Each refusal names the root (the server shows it to no client: it writes
    paths relative to its root).
    """
    real_root = root.resolve()
    # On POSIX a backslash is a legal character of a file name, not a separator.
    posix = PurePosixPath(user_path if os.sep == "/" else user_path.replace("\\", "/"))
    if posix.is_absolute() or Path(user_path).is_absolute():
        # Not echoed: the server writes paths inside its root relative to it, which would
        # turn the offending path into a relative one in the very message refusing it.
        raise PathOutsideRootError(
            f"Absolute paths are not accepted: give the path relative to the root ({real_root})."
        )
    if ".." in posix.parts:
        raise PathOutsideRootError(
            f"The path {user_path!r} contains '..': give a path inside the root {real_root}.",
            path=user_path,
        )
    candidate = real_path(real_root / posix, user_path)
    if candidate != real_root and real_root not in candidate.parents:
        raise PathOutsideRootError(
            f"The path {user_path!r} leads outside the root {real_root} through a symbolic "
            "link: give a path inside it.",
            path=user_path,
        )
    return candidate


def real_path(path: Path, user_path: str, field: str | None = None) -> Path:
    """``path`` made absolute with its symbolic links followed (:meth:`Path.resolve`), for a
    path a user gave as ``user_path`` (in the input ``field``, named in each refusal's
    ``details`` when given): the one place nbtools resolves one, so that what the operating
    system cannot resolve is bad input naming ``user_path`` (``details["path"]``), never a
    ``ValueError``, ``RuntimeError`` or ``OSError`` of whatever resolves or opens it later: a
    NUL byte, a loop of symbolic links (``a -> b``, ``b -> a``; the ``ELOOP`` of too many
    links followed in a row alike), or a file or folder name, or the whole path, too long for
    the file system. A path that does not exist yet is resolved as far as it exists, and the
    names it would make there are held to that folder's limits (:func:`fits`)."""
    try:
        return _resolved(path, user_path)
    except InvalidInputError as error:
        if field is not None:
            error.details["field"] = field
        raise


def _resolved(path: Path, user_path: str) -> Path:
    if "\x00" in str(path):  # the operating system's calls would raise ValueError
        raise PathOutsideRootError("The path contains a NUL byte.", path=user_path)
    try:
        resolved = path.resolve()
    except RuntimeError:  # Python before 3.13 raises this for a loop
        raise _loop(user_path) from None
    try:
        # Python 3.13 leaves a loop in the path it returns; a name too long is found here too
        os.stat(resolved)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _loop(user_path) from None
        if error.errno == errno.ENAMETOOLONG or not fits(resolved):
            raise _too_long(user_path) from None
    return resolved


def check_fits(path: Path, user_path: str) -> None:
    """Refuse ``path`` (absolute, its folders resolved: a name kept as typed after
    :func:`real_path` of its folder) when a name it adds, or the whole of it, is too long
    for the file system (:func:`fits`), as :func:`real_path` refuses one."""
    if not fits(path):
        raise _too_long(user_path)


def _too_long(user_path: str) -> InvalidInputError:
    return InvalidInputError(
        f"The path {user_path!r:.80} is too long for the file system: shorten its file or "
        "folder names.",
        path=user_path,
    )


def fits(path: Path) -> bool:
    """Whether ``path`` (absolute, resolved) could be made: each name it would add to its
    nearest existing folder has at most that folder's file system's bytes for a name (255 on
    Linux), and the whole path at most its bytes for a path (4095). The system refuses a name
    too long only once the folders before it exist, so a path whose folders are to be made
    (``new/<300 bytes>``) is checked here, before any is made."""
    folder = nearest_folder(path)
    name_limit = _limit(folder, "PC_NAME_MAX", 255)
    if any(len(os.fsencode(name)) > name_limit for name in path.relative_to(folder).parts):
        return False
    return len(os.fsencode(path)) < path_limit(folder)


def nearest_folder(path: Path) -> Path:
    """The nearest existing folder above ``path`` (absolute), ``path`` itself included."""
    return next((folder for folder in (path, *path.parents) if os.path.isdir(folder)), Path("/"))


def path_limit(folder: Path) -> int:
    """The bytes the system takes for a path in ``folder`` (an existing one), its terminating
    NUL counted: 4096 on Linux."""
    return _limit(folder, "PC_PATH_MAX", 4096)


def _limit(folder: Path, name: str, known: int) -> int:
    """``folder``'s file system's limit ``name`` (:func:`os.pathconf`); ``known``, Linux's,
    when it has none."""
    try:
        limit = os.pathconf(folder, name)
    except (OSError, ValueError):
        return known
    return limit if limit > 0 else known  # -1: the system sets none


def _loop(user_path: str) -> InvalidInputError:
    return InvalidInputError(
        f"The path {user_path!r:.200} goes through a loop of symbolic links (a link that "
        "leads back to itself, directly or through other links): fix or remove the link.",
        path=user_path,
    )
