"""Fresh kernels for runs: started ahead of need, each used for exactly one run.

Starting a kernel (~0.5 s) and the client handshake (~0.2 s) are the floor of a cold run, so
a worker launches the next kernel right after it reports a result, and the kernel boots while
the worker waits for work. A used kernel is asked to shut down and killed (with its children)
if it has not exited by a short deadline, so the ~3 s shutdown stall some kernels show never
delays a result and a worker holds one kernel at a time (plus the one booting).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

#: Seconds a used kernel gets to exit after a shutdown request before it is killed.
SHUTDOWN_GRACE_SECONDS = 0.5
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
    ready: bool = False


async def _until_ready(kc: AsyncKernelClient, timeout: float) -> None:
    """Wait until the kernel answers on shell and its IOPub subscription delivers.

    Like ``wait_for_ready`` without its fixed 0.2 s IOPub drain: one IOPub message (the
    status of our own request) proves the subscription is live, so no output can be lost.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            await kc.get_shell_msg(timeout=1)
            await kc.get_iopub_msg(timeout=1)
            return
        except Empty:
            if time.monotonic() > deadline:
                raise RuntimeError(f"The kernel did not answer within {timeout} s.") from None


def _ipc_prefix() -> str:
    """Where a kernel's sockets go: Unix sockets in the temporary directory.

    Local sockets open no TCP port to other users of the machine, and keep ipykernel from
    warning, on every run, that its TCP channels are unencrypted. They sit beside the kernel's
    connection file, out of the notebook's directory; jupyter_client removes both with the
    kernel (and the system's temporary-file cleaning what a killed worker leaves).
    """
    return os.path.join(tempfile.gettempdir(), f"nbtools-kernel-{uuid.uuid4().hex[:12]}")


class KernelSource:
    """Hands out started kernels; with ``prestart``, keeps one waiting like the last used."""

    def __init__(self, prestart: bool = True) -> None:
        self.prestart = prestart
        self._ready: Kernel | None = None
        self._last: tuple[str, Path] = ("python3", Path.cwd())

    def _start(self, kernel_name: str, cwd: Path) -> Kernel:
        """Launch a kernel process and connect a client; readiness is awaited in :meth:`take`."""
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=_ipc_prefix())
        _run(km.start_kernel, cwd=str(cwd))
        kc = km.client()
        kc.start_channels()
        return Kernel(kernel_name, cwd, km, kc)

    def _until_ready(self, kernel: Kernel) -> Kernel:
        if not kernel.ready:
            try:
                _run(_until_ready, kernel.kc, STARTUP_TIMEOUT_SECONDS)
            except Exception:
                self.retire(kernel)
                raise
            kernel.ready = True
        return kernel

    def take(self, kernel_name: str, cwd: Path) -> Kernel:
        """A started kernel of ``kernel_name`` in ``cwd``, never used before."""
        self._last = (kernel_name, cwd)
        ready, self._ready = self._ready, None
        if ready is not None:
            if (ready.name, ready.cwd) == (kernel_name, cwd) and _run(ready.km.is_alive):
                return self._until_ready(ready)
            self.retire(ready)
        return self._until_ready(self._start(kernel_name, cwd))

    def warm(self, kernel_name: str | None = None, cwd: Path | None = None) -> None:
        """Pre-start a kernel (default: like the last one taken) if none is waiting.

        Called after a run's result is reported, so the start does not compete with the run;
        the kernel boots while the worker waits for work (readiness is checked at take).
        """
        if not self.prestart or self._ready is not None:
            return
        kernel_name, cwd = kernel_name or self._last[0], cwd or self._last[1]
        self._last = (kernel_name, cwd)
        self._ready = self._start(kernel_name, cwd)

    def retire(self, kernel: Kernel) -> None:
        """Stop a used kernel: a shutdown request, a short grace, then SIGKILL of its tree.

        Called after the run's result is recorded. A kernel usually exits within ~0.1 s
        (flushing what the notebook left open); one that stalls is killed at the deadline.
        The next kernel starts only then, so a worker holds one kernel at a time.
        """
        kernel.kc.stop_channels()
        with contextlib.suppress(Exception):  # a kernel that cannot be asked is killed
            if _run(kernel.km.is_alive):
                _run(kernel.km.request_shutdown)
                deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
                while time.monotonic() < deadline and _run(kernel.km.is_alive):
                    time.sleep(0.01)
        kill_kernel_tree(kernel.km)
        _run(kernel.km.cleanup_resources)

    def close(self) -> None:
        """Stop the waiting kernel, if any."""
        if self._ready is not None:
            self.retire(self._ready)
            self._ready = None
