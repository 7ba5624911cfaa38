"""Fresh kernels for runs: started ahead of need, each used for exactly one run.

Starting a kernel (~0.5 s) and the client handshake (~0.2 s) are the floor of a cold run, so
a worker prepares the next kernel, client connected and ready, right after it reports a
result. A used kernel is asked to shut down and killed (with its children) if it has not
exited by a short deadline, so the ~3 s shutdown stall some kernels show never delays a result.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

#: Seconds a used kernel gets to exit after a shutdown request before it is killed.
SHUTDOWN_GRACE_SECONDS = 2.0
#: Seconds to wait for a new kernel to answer.
STARTUP_TIMEOUT_SECONDS = 60


def _run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a kernel coroutine on this thread's loop (the one nbclient also uses)."""
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


@dataclass
class Kernel:
    """A started kernel with a connected, ready client."""

    name: str
    cwd: Path
    km: AsyncKernelManager
    kc: AsyncKernelClient


class KernelSource:
    """Hands out started kernels; with ``prestart``, keeps one waiting like the last used."""

    def __init__(self, prestart: bool = True) -> None:
        self.prestart = prestart
        self._ready: Kernel | None = None
        self._last: tuple[str, Path] = ("python3", Path.cwd())
        self._retiring: list[tuple[float, Kernel]] = []

    def _start(self, kernel_name: str, cwd: Path) -> Kernel:
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=kernel_name)
        _run(km.start_kernel, cwd=str(cwd))
        kc = km.client()
        kc.start_channels()
        try:
            _run(kc.wait_for_ready, timeout=STARTUP_TIMEOUT_SECONDS)
        except Exception:
            kc.stop_channels()
            kill_kernel_tree(km)
            _run(km.cleanup_resources)
            raise
        return Kernel(kernel_name, cwd, km, kc)

    def take(self, kernel_name: str, cwd: Path) -> Kernel:
        """A started kernel of ``kernel_name`` in ``cwd``, never used before."""
        self._last = (kernel_name, cwd)
        ready, self._ready = self._ready, None
        if ready is not None:
            if (ready.name, ready.cwd) == (kernel_name, cwd) and _run(ready.km.is_alive):
                return ready
            self.retire(ready)
        return self._start(kernel_name, cwd)

    def warm(self, kernel_name: str | None = None, cwd: Path | None = None) -> None:
        """Pre-start a kernel (default: like the last one taken) if none is waiting.

        Called after a run's result is reported, so the start does not compete with the run.
        """
        if not self.prestart or self._ready is not None:
            return
        kernel_name, cwd = kernel_name or self._last[0], cwd or self._last[1]
        self._last = (kernel_name, cwd)
        self._ready = self._start(kernel_name, cwd)

    def retire(self, kernel: Kernel) -> None:
        """Ask a used kernel to exit; :meth:`reap` kills it if it lingers."""
        kernel.kc.stop_channels()
        # A kernel that cannot be asked (already dead) is killed at reap.
        with contextlib.suppress(Exception):
            if _run(kernel.km.is_alive):
                _run(kernel.km.request_shutdown)
        self._retiring.append((time.monotonic() + SHUTDOWN_GRACE_SECONDS, kernel))

    def reap(self, force: bool = False) -> None:
        """Kill retired kernels that are past their deadline (or all, with ``force``)."""
        keep = []
        for deadline, kernel in self._retiring:
            if force or time.monotonic() >= deadline or not _run(kernel.km.is_alive):
                kill_kernel_tree(kernel.km)
                _run(kernel.km.cleanup_resources)
            else:
                keep.append((deadline, kernel))
        self._retiring = keep

    def close(self) -> None:
        """Kill every kernel this source holds."""
        if self._ready is not None:
            self._retiring.append((0.0, self._ready))
            self._ready = None
        self.reap(force=True)
