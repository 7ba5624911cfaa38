"""A file a user names for nbtools to read (a notebook, a config file, a parameters file, a
requirements file, an API-key file): the one reader, which refuses what is no regular file
before reading a byte of it.

::

    raw = read_regular(path, "params.json", field="parameters_file")

A named pipe (``mkfifo``) opened to be read waits for a writer, for good: a request or a
command given one would hang, and with it a server's threads and its shutdown. A device
(``/dev/zero``, ``/dev/stdin``) or a socket holds no file's content either. Each is refused
as bad input naming the input ``field`` (exit 2 in the CLI, 400 in the REST API); opening
never waits (``O_NONBLOCK``), and what was opened is checked, so a file swapped for a pipe
between a check and the read is refused too. The companion of :mod:`nbtools.outfiles`, which
checks a file a command writes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from nbtools.errors import InvalidInputError


def read_regular(
    path: Path, shown: str | None = None, /, *, limit: int = -1, **details: Any
) -> bytes:
    """The bytes of the regular file at ``path``, its first ``limit`` only when given
    (``shown`` in messages, default: as given; ``details``: the refusal's, ``field`` naming
    the input). What is no regular file is refused with :class:`InvalidInputError`; a
    directory raises :class:`IsADirectoryError`, and what cannot be opened its
    :class:`OSError` (:class:`FileNotFoundError`...), for the caller to say what it expected
    there."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a socket, or a pipe with no writer on some systems
            raise not_regular(path, shown, **details) from None
        raise
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise not_regular(path, shown, **details)
        return file.read(limit)


def check_regular(path: Path, shown: str | None = None, /, **details: Any) -> None:
    """Refuse, as :func:`read_regular` does, ``path`` when it is there but no regular file
    or directory, for a reader nbtools does not open itself (traitlets' config loaders); a
    missing file is left to it."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise not_regular(path, shown, **details)


def not_regular(path: Path, shown: str | None = None, /, **details: Any) -> InvalidInputError:
    """The refusal of ``path``, which is there but is no regular file (``details["path"]``:
    ``shown``, unless ``details`` names it)."""
    shown = str(path) if shown is None else shown
    return InvalidInputError(
        f"{shown} is not a regular file (a named pipe, a device or a socket), which nbtools "
        "would wait on for good instead of reading: give a file's path.",
        **{"path": shown, **details},
    )
