"""Killing what a run started: a process, its descendants and their process groups; giving
a long-lived process's freed memory back to the system.

Kernels run in sessions of their own (jupyter_client starts them with ``setsid``), so a
kernel's process group holds the kernel and whatever the notebook started. A child whose
kernel already died (SIGKILL, the OOM killer) is no longer anyone's descendant, but it is
still in the group: killing the group as well as the tree leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable


def kill_tree(pid: int | None, groups: Iterable[int] = ()) -> None:
    """SIGKILL ``pid``, every process it started, and every process of ``groups``.

    Waits (up to 2 s) for the processes found to be gone, so the caller can rely on it.
    """
    import psutil

    processes: list[psutil.Process] = []
    if pid is not None:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(pid)
            processes = [*root.children(recursive=True), root]
    for group in set(groups):
        if group > 1 and group != os.getpgrp():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=2)


def release_free_memory() -> None:
    """Give the C allocator's free memory back to the system (glibc's ``malloc_trim``).

    Python frees the objects a warm-up created (imports, a compiled validator), but glibc
    keeps the freed pages mapped, so a long-lived worker or zygote would go on counting them
    (≈ 7 MiB after a worker's warm-up). Elsewhere than glibc this does nothing.
    """
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return
    trim(0)
