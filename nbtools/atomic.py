"""Writing a file so that no reader ever sees half of it, and no crash leaves half of it; and
checking, before the work that makes its content, that it can be written at all.

A write killed before its rename leaves its temporary file (``.NAME.<12 hex>.tmp``, hidden,
as large as what it had written) beside the file: :func:`stale_temporaries` finds those of a
file, once nothing has written to them for :data:`STALE_AFTER` seconds (a write in progress
keeps its temporary file's time fresh), for the next write of the file, or ``version gc``,
to remove."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from nbtools.errors import InvalidInputError, NotFoundError

#: Seconds after which a temporary file nothing writes to any more is a killed write's.
STALE_AFTER = 300
#: The end of a temporary file's name after the file's: ``.`` 12 hex digits ``.tmp``.
_TOKEN = len(".0123456789ab.tmp")


def check_writable(path: Path, shown: str, field: str) -> None:
    """Refuse, before any work, a new file at ``path`` that could not be written: its folder
    does not exist (:class:`NotFoundError`) or is not writable, or ``path`` is a folder.
    ``shown`` names it in messages; ``field`` is the input it came from."""
    details = {"path": shown, "field": field}
    if not path.parent.is_dir():
        raise NotFoundError(f"The folder of {shown} does not exist; create it first.", **details)
    if path.is_dir():
        raise InvalidInputError(f"{shown} is a folder; give a file's name.", **details)
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InvalidInputError(
            f"The folder of {shown} is not writable; choose another place.", **details
        )


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, exclusive: bool = False, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all (:func:`replacing`)."""
    with replacing(path, exclusive=exclusive, durable=durable) as handle:
        handle.write(data)


@contextlib.contextmanager
def replacing(path: Path, *, exclusive: bool = False, durable: bool = True) -> Iterator[BinaryIO]:
    """A file to write ``path``'s new content to: a temporary file renamed over ``path`` when
    the block ends, removed if it raises.

    Readers see the old file or the new one, never a mixture, however many processes write
    it at once; an existing file keeps its permissions, a new one gets the usual ``0666 &
    ~umask``. With ``exclusive``, an existing ``path`` is never replaced:
    :class:`FileExistsError` is raised instead. ``durable``: synced to the disk before and
    after the rename (a crash keeps one or the other); a cache, which can be fetched again,
    does without.
    """
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None  # a new file: created 0666 less the umask, as the kernel applies it
    fd, temporary = _new_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        if exclusive:
            os.link(temporary, path)
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if durable:
        fsync_directory(path.parent)


def _new_temporary(path: Path) -> tuple[int, Path]:
    """A new, uniquely named file beside ``path``, open for writing. Created with mode 0666
    for the kernel to apply the umask: reading the umask means setting it, process-wide, which
    a thread creating a file meanwhile would get (a server writes from several threads)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
        with contextlib.suppress(FileExistsError):
            return os.open(temporary, flags, 0o666), temporary


def stale_temporaries(folder: Path, names: Collection[str]) -> list[Path]:
    """The temporary files that killed writes of the files ``names`` in ``folder`` left
    there (:func:`replacing`'s, untouched for :data:`STALE_AFTER` seconds)."""
    cutoff = time.time() - STALE_AFTER
    found = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if (
                name.startswith(".")
                and name.endswith(".tmp")
                and name[1:-_TOKEN] in names
                and name[-_TOKEN] == "."
                and all(c in "0123456789abcdef" for c in name[-_TOKEN + 1 : -4])
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            ):
                found.append(Path(entry.path))
    return found


def remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files killed writes of ``path`` left beside it."""
    for temporary in stale_temporaries(path.parent, {path.name}):
        temporary.unlink(missing_ok=True)
