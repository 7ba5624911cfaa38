"""The watchdog of a running run: heartbeats, and its kernel stopped on timeout, cancel, a
signal to the run's process or a lost lease."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from nbtools.jobs import runs
from nbtools.jobs.leases import LEASE_SECONDS
from nbtools.kernels import Kernel, kill_kernel_tree
from nbtools.store.database import store_failure

if TYPE_CHECKING:
    from nbtools.jobs.tables import Run
    from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: Seconds between a running run's heartbeats (and checks for a cancel request).
HEARTBEAT_SECONDS = 1.0
#: Why a watchdog stopped a run that its own process was asked to stop (a signal).
INTERRUPTED = "interrupted"


class Interrupt:
    """A request from outside a run, such as a signal to its process, to cancel it.

    :meth:`request` takes no lock, so a signal handler may call it even while another
    signal's handler is inside it (the watchdog only polls :meth:`requested`).
    """

    #: The run ends ``failed`` (``WorkerLost``, retried as its job allows), not ``cancelled``.
    lost = False

    def __init__(self) -> None:
        self.reason = ""
        self._requested = False

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        self._requested = True

    def requested(self) -> bool:
        return self._requested


class OwnerGone(Interrupt):
    """Requested once ``owner``, the process that started this one (the scheduler whose
    worker this is), is no longer its parent: it ended without stopping it (SIGKILL, a
    crash). Its run is lost, not cancelled, and its kernel is stopped (it may already have
    gone with the scheduler's kernel zygote)."""

    lost = True

    def __init__(self, owner: int) -> None:
        super().__init__()
        self.owner = owner

    def requested(self) -> bool:
        if not self._requested and os.getppid() != self.owner:
            self.request(
                "The scheduler executing this run was killed (or crashed) without stopping "
                "it; its kernel was stopped with it."
            )
        return self._requested


class Watchdog(threading.Thread):
    """Beats the heart of a running run and stops its kernel on timeout, cancel or lost lease.

    It runs from the claim on, so a kernel still starting keeps the lease alive (and is
    killed by a cancel). A heartbeat that cannot reach the database is retried at the next
    beat; once the lease has run out without a renewal, the run may be retried elsewhere, so
    its kernel stops.
    """

    def __init__(
        self,
        store: Store,
        run: Run,
        worker: str,
        progress: runs.Progress,
        interval: float,
        lease_seconds: float = LEASE_SECONDS,
        interrupt: Interrupt | None = None,
    ) -> None:
        super().__init__(name=f"nbtools-watchdog-{run.id}", daemon=True)
        self.store, self.run_id, self.worker = store, run.id, worker
        self.progress, self.interval, self.lease_seconds = progress, interval, lease_seconds
        self.interrupt, self.timeout = interrupt, run.timeout_seconds
        self.deadline: float | None = None
        self.reason: str | None = None
        self.kernel: Kernel | None = None
        self._lock = threading.Lock()
        self._halt = threading.Event()

    def attach(self, kernel: Kernel) -> None:
        """Watch ``kernel`` (killed at once if the run was stopped while it started)."""
        with self._lock:
            self.kernel = kernel
            if self.reason is not None:
                kill_kernel_tree(kernel.km)

    def executing(self) -> None:
        """The kernel answered and the notebook starts: the run's timeout counts from now
        (kernel start-up has its own, :attr:`RunRequest.kernel_start_timeout`)."""
        if self.timeout:
            self.deadline = time.monotonic() + self.timeout

    def run(self) -> None:
        next_beat = time.monotonic() + self.interval
        renewed = time.monotonic()
        while not self._halt.wait(self._pause()):
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self._kill("timeout")
                return
            if self.interrupt is not None and self.interrupt.requested():
                self._kill(INTERRUPTED)
                return
            if now < next_beat:
                continue
            next_beat = now + self.interval
            try:
                reply = runs.heartbeat(
                    self.store, self.run_id, self.worker, self.progress, self.lease_seconds
                )
            except SQLAlchemyError as exc:
                log.warning("nbtools: run %s heartbeat failed: %s", self.run_id, store_failure(exc))
                reply = (
                    runs.STOP_LEASE_LOST if now - renewed > self.lease_seconds else runs.CONTINUE
                )
            else:
                renewed = now
            if reply in (runs.STOP_CANCELLED, runs.STOP_LEASE_LOST):
                self._kill(reply)
                return

    def _pause(self) -> float:
        """Seconds to the next look: at most 0.2 (a cancel is seen that soon), and no later
        than the run's deadline."""
        pause = min(0.2, self.interval)
        if self.deadline is not None:
            pause = min(pause, max(0.0, self.deadline - time.monotonic()))
        return pause

    def _kill(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            if self.kernel is not None:
                kill_kernel_tree(self.kernel.km)

    def stop(self) -> None:
        self._halt.set()
        self.join()
