"""Fresh kernels for runs: started ahead of need, each used for exactly one run.

Starting a kernel (~0.5 s) is the floor of a cold run, so a worker starts the next kernel as
soon as it hands one out. A used kernel is asked to shut down after the run's result is
recorded and killed (with its children) if it has not exited by a short deadline, so the
~3 s shutdown stall some kernels show never delays a result.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

#: Seconds a used kernel gets to exit after a shutdown request before it is killed.
SHUTDOWN_GRACE_SECONDS = 2.0


def _run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a kernel manager coroutine on this thread's loop (the one nbclient also uses)."""
    from jupyter_core.utils import run_sync

    return run_sync(coroutine_function)(*args, **kwargs)


def kill_kernel_tree(km: AsyncKernelManager) -> None:
    """SIGKILL the kernel process and every process it started."""
    import psutil

    pid = getattr(km.provisioner, "pid", None) if km.provisioner is not None else None
    if pid is None:
        return
    try:
        root = psutil.Process(pid)
        processes = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=2)


class KernelSource:
    """Hands out started kernels; keeps one pre-started for the last (kernel, cwd) used."""

    def __init__(self, prestart: bool = True) -> None:
        self.prestart = prestart
        self._ready: tuple[str, Path, AsyncKernelManager] | None = None
        self._retiring: list[tuple[float, AsyncKernelManager]] = []

    def _start(self, kernel_name: str, cwd: Path) -> AsyncKernelManager:
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=kernel_name)
        _run(km.start_kernel, cwd=str(cwd))
        return km

    def take(self, kernel_name: str, cwd: Path) -> AsyncKernelManager:
        """A started kernel of ``kernel_name`` in ``cwd``, never used before."""
        ready, self._ready = self._ready, None
        if ready is not None:
            name, ready_cwd, km = ready
            if (name, ready_cwd) == (kernel_name, cwd) and _run(km.is_alive):
                if self.prestart:
                    self._ready = (kernel_name, cwd, self._start(kernel_name, cwd))
                return km
            self.retire(km)
        km = self._start(kernel_name, cwd)
        if self.prestart:
            self._ready = (kernel_name, cwd, self._start(kernel_name, cwd))
        return km

    def warm(self, kernel_name: str, cwd: Path) -> None:
        """Pre-start a kernel for ``kernel_name`` in ``cwd`` if none is waiting."""
        if self._ready is None:
            self._ready = (kernel_name, cwd, self._start(kernel_name, cwd))

    def retire(self, km: AsyncKernelManager) -> None:
        """Ask a used kernel to exit; :meth:`reap` kills it if it lingers."""
        # A kernel that cannot be asked (already dead, channels gone) is killed at reap.
        with contextlib.suppress(Exception):
            if _run(km.is_alive):
                _run(km.request_shutdown)
        self._retiring.append((time.monotonic() + SHUTDOWN_GRACE_SECONDS, km))

    def reap(self, force: bool = False) -> None:
        """Kill retired kernels that are past their deadline (or all, with ``force``)."""
        keep = []
        for deadline, km in self._retiring:
            if force or time.monotonic() >= deadline or not _run(km.is_alive):
                kill_kernel_tree(km)
                _run(km.cleanup_resources)
            else:
                keep.append((deadline, km))
        self._retiring = keep

    def close(self) -> None:
        """Kill every kernel this source holds."""
        if self._ready is not None:
            self._retiring.append((0.0, self._ready[2]))
            self._ready = None
        self.reap(force=True)
