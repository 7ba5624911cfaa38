"""A file a command writes where its user says (``run -o``, ``data export --file``, ``env export
-o``): the one check, before any work, of what such a path may not be.

::

    check_outfile(project, path, "output", ours=is_run_output, reads=notebook, make_folder=True)

refuses (exit 2 in the CLI, naming the input ``field``; nothing is written) a path in the
store directory (nbtools' own files: the database, the version packs), the file the command
reads (``run nb.ipynb -o nb.ipynb`` would replace the notebook with its executed copy), a path
that could not be written (:func:`~nbtools.atomic.check_writable`), ``-`` (standard output
for other tools: a file named so would be written) and what is no regular file (a device such
as ``/dev/stdout`` or ``/dev/null``, a named pipe), even with ``force``, and an existing file that
``ours`` does not recognise as one nbtools wrote there unless ``force`` (another tool's lock
file, a notebook, a hand-written YAML file). An earlier output of the same command is replaced.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.atomic import check_writable
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.paths import real_path

if TYPE_CHECKING:
    from nbtools.project import Project

#: The field (``force``) that writes in spite of a refusal, named in its ``details["override"]``
#: (the CLI names its flag; the REST API's body takes it).
FORCE = "force"


def check_outfile(
    project: Project,
    path: Path,
    field: str,
    *,
    ours: Callable[[Path], bool],
    force: bool = False,
    reads: Path | None = None,
    make_folder: bool = False,
    shown: str | None = None,
) -> Path:
    """``path`` resolved, once it may be written (see the module's docstring); ``shown`` names
    it in messages (default: as given). ``ours(target)`` tells an earlier output of the
    command (it may raise :class:`OSError`); ``reads`` is the file the command reads, never
    written over, even with ``force``; ``make_folder``: the missing folders of ``path`` are
    made (a folder that cannot be made is refused)."""
    shown = str(path) if shown is None else shown
    details = {"path": shown, "field": field}
    if str(path) == "-":
        raise InvalidInputError(
            "'-' names no file here: the command writes a file, never to standard output; "
            "give a file's path (./- for a file named -).",
            **details,
        )
    _check_not_special(path, shown, details)
    target = real_path(path, shown, field)
    if project.in_store(target):
        raise InvalidInputError(
            f"{shown} is in the nbtools store directory {project.store_dir}, which nbtools "
            "manages: choose another place.",
            **details,
        )
    if reads is not None and _same_file(target, reads):
        raise InvalidInputError(
            f"{shown} is the file this command reads: writing there would replace it; choose "
            "another file.",
            **details,
        )
    if make_folder:
        _make_folder(target, shown, field)
    check_writable(target, shown, field)
    if force or not target.exists():
        return target
    try:
        earlier = ours(target)
    except OSError as error:
        raise InvalidInputError(f"{shown} cannot be read: {error.strerror}.", **details) from None
    if not earlier:
        raise ConflictError(
            f"{shown} exists and was not written by nbtools: choose another file, or force "
            "replacing it.",
            **details,
            override=FORCE,
        )
    return target


def _check_not_special(path: Path, shown: str, details: dict[str, str]) -> None:
    """Refuse, even with ``force``, a path that is no regular file (standard output as
    ``/dev/stdout``, a named pipe, a terminal, ``/dev/null``): the file is written beside it
    and renamed over it, which would replace the device or the pipe; reading it to tell an
    earlier output would wait for a writer."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # missing (a new file), or refused as real_path says
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder: check_writable says so
        return
    raise InvalidInputError(
        f"{shown} is not a regular file (a device, a named pipe or a socket: standard output "
        "or /dev/null, say), which would be replaced: give a file's path.",
        **details,
    )


def _same_file(target: Path, reads: Path) -> bool:
    """Whether ``target`` (resolved) is ``reads``: the same path, or another name of its file
    (a hard link)."""
    try:
        return target == reads.resolve() or os.path.samefile(target, reads)
    except OSError:  # either is missing: not the same file
        return False


def _make_folder(target: Path, shown: str, field: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        reason = "a file stands where a directory of its path should be"
    except OSError as error:
        reason = str(error.strerror or error)
    else:
        return
    raise InvalidInputError(
        f"The output {shown}: its directory cannot be made: {reason}.", path=shown, field=field
    )
