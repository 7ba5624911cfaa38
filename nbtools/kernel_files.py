"""A kernel's files: its own directory (connection file, sockets, its output) and its artifacts
directory, both in the system's temporary directory, named with the pid of the process owning
the kernel and removed with the kernel; what a kernel said last; and the sweep of those whose
owner is gone.

::

    from nbtools.kernel_files import files_dir, last_line, output_size, sweep_leftovers
    files = files_dir()                             # $TMPDIR/nbtools-kernel-PID-…/
    last_line(str(files / "kernel.json"))           # "No module named x", or None
    since = output_size(str(files / "kernel.json")) # then, after a run: only its lines
    last_line(str(files / "kernel.json"), since)
    sweep_leftovers()                               # directories of owners killed
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

#: A kernel's artifacts directory in the system's temporary directory: this prefix, the pid of
#: the process owning the kernel, a random part (see :func:`sweep_leftovers`).
ARTIFACTS_PREFIX = "nbtools-artifacts-"
#: A kernel's own files (its connection file, holding its key, and its sockets) are in a
#: directory of the system's temporary directory named as an artifacts directory is, with
#: this prefix.
KERNEL_FILES_PREFIX = "nbtools-kernel-"
#: A kernel's own standard output and error: this file of its files directory, never the
#: output of the process that started it (the scheduler's log, the server's terminal). It holds
#: what the kernel itself says (ipykernel's log, a crash at start, what it writes while it
#: shuts down), not the notebook's output, which ipykernel sends to the notebook. Read for the
#: error of a kernel that exits before it answers; removed with the kernel.
OUTPUT_FILE = "output"
#: Bytes of a kernel's output read, from its end, for the error of a kernel that exited.
OUTPUT_TAIL_BYTES = 4096
#: Seconds after which a kernel's directories of a process that is gone are removed.
SWEEP_AFTER_SECONDS = 60.0


def files_dir() -> Path:
    """A new directory for a kernel's connection file, sockets (Unix sockets) and output.

    Local sockets open no TCP port to other users of the machine, and keep ipykernel from
    warning, on every run, that its TCP channels are unencrypted. The directory, in the
    system's temporary directory and out of the notebook's, is the owner's only (``0700``)
    and named with the owner's pid (:data:`KERNEL_FILES_PREFIX`): it is removed with the
    kernel, or, when the owner was killed first, by :func:`sweep_leftovers`.
    """
    return Path(tempfile.mkdtemp(prefix=f"{KERNEL_FILES_PREFIX}{os.getpid()}-"))


def artifacts_dir() -> Path:
    """A new, empty artifacts directory for a kernel (:data:`ARTIFACTS_PREFIX`)."""
    return Path(tempfile.mkdtemp(prefix=f"{ARTIFACTS_PREFIX}{os.getpid()}-"))


def output_file(connection_file: str) -> Path:
    """Where the kernel of ``connection_file`` (in its files directory, :func:`files_dir`)
    writes its own output (:data:`OUTPUT_FILE`)."""
    return Path(connection_file).parent / OUTPUT_FILE


def output_size(connection_file: str) -> int:
    """How many bytes the kernel of ``connection_file`` has written to its own output so far
    (0 when there is none): where what it says from now on starts (:func:`last_line`)."""
    try:
        return output_file(connection_file).stat().st_size
    except OSError:
        return 0


def last_line(connection_file: str, since: int = 0) -> str | None:
    """The last line the kernel of ``connection_file`` wrote to its own output (a crash's
    exception, libzmq's abort), if any; with ``since`` (an :func:`output_size` taken before),
    only a line written after it, never an older one."""
    try:
        with output_file(connection_file).open("rb") as output:
            output.seek(max(since, output.seek(0, os.SEEK_END) - OUTPUT_TAIL_BYTES))
            tail = output.read().decode(errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else None


def sweep_leftovers(older_than: float = SWEEP_AFTER_SECONDS) -> int:
    """Remove the kernels' artifacts directories and files directories whose owner is gone (a
    process killed before it could retire its kernels: SIGKILL, the out-of-memory killer),
    once they are ``older_than`` seconds old; the number removed. A directory's name carries
    its owner's pid (:data:`ARTIFACTS_PREFIX`, :data:`KERNEL_FILES_PREFIX`); one whose owner
    still runs, or of another user, is kept."""
    removed = 0
    with os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            prefix = next(
                (p for p in (ARTIFACTS_PREFIX, KERNEL_FILES_PREFIX) if entry.name.startswith(p)),
                None,
            )
            if prefix is None:
                continue
            owner = entry.name[len(prefix) :].partition("-")[0]
            if not owner.isdigit() or _alive(int(owner)):
                continue
            try:
                if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.getuid():
                    continue
                age = time.time() - entry.stat().st_mtime
            except OSError:
                continue
            if age >= older_than:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (this one, another of ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    except OverflowError:  # beyond any pid
        return False
    return True
