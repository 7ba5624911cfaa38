"""Exclusive locks across threads and processes (POSIX advisory ``flock``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path, *, directory: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on ``path``: a lock file (created if missing) or, with
    ``directory``, an existing directory, never created (``FileNotFoundError`` if it is gone,
    ``NotADirectoryError`` if a file took its place)."""
    if directory:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    else:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock
