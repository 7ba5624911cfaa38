"""The in-process scheduler of the server: started lazily, stopped with the server.

It starts once the server serves if the project already has a store (scheduled jobs then run
unattended), otherwise as soon as a request opens the store (makes it): whichever request that
is, ``GET status`` as well as a jobs request, so a store never exists without its server's
scheduler, and a server that nothing asks for nbtools' state creates none and no worker
processes. Worker processes start on the first run.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from nbtools.errors import StoreError
from nbtools.jobs.config import JobsSettings
from nbtools.metrics.service import MonitoringService
from nbtools.project import Project

if TYPE_CHECKING:
    from nbtools.jobs.scheduler import Scheduler

log = logging.getLogger(__name__)


class JobsService:
    """Owns the scheduler thread and its executor for one project."""

    def __init__(
        self,
        project: Project,
        settings: JobsSettings,
        monitoring: MonitoringService,
    ) -> None:
        self.project, self.settings, self.monitoring = project, settings, monitoring
        self.scheduler: Scheduler | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        """Start the scheduler thread once (no-op when turned off by configuration)."""
        if not self.settings.run_scheduler or self._thread is not None:
            return
        with self._lock:
            if self._thread is not None:
                return
            self.project.store  # noqa: B018 - open and migrate before anything starts
            self.monitoring.start()
            self.scheduler = self.settings.create_scheduler(
                self.project, self.monitoring.metrics.max_value_bytes
            )
            self._thread = threading.Thread(
                target=self.scheduler.run_forever,
                args=(self._stop,),
                name="nbtools-scheduler",
                daemon=True,
            )
            self._thread.start()
            log.info("nbtools: scheduler started (%s executor)", self.settings.executor)

    def start_if_in_use(self) -> None:
        """Start now if the project already has a store (it may have jobs due): called once
        the server serves (:meth:`NbtoolsApp._start_jupyter_server_extension`).

        A store that cannot be opened (unreachable, or written by a newer version) leaves the
        scheduler stopped and the extension loaded, so requests answer with the error.
        """
        url = self.project.db_url
        if not url.startswith("sqlite") or (self.project.store_dir / "nbtools.db").exists():
            try:
                self.ensure_started()
            except StoreError as error:
                log.error("nbtools: scheduler not started: %s", error.message)

    def start_once_store_opened(self) -> None:
        """Start now if a request has opened the project's store: called after each request's
        work (:meth:`jupyter_nbtools.handlers.base.NbtoolsHandler.call`), on the worker pool,
        so the scheduler serves the store from the request that made it on."""
        if self._thread is None and self.project.store_opened:
            self.start_if_in_use()

    def wake(self) -> None:
        """Dispatch newly queued runs now rather than at the next tick."""
        self.ensure_started()
        if self.scheduler is not None:
            self.scheduler.wake()

    def stop(self) -> None:
        """Stop the loop and the executor (running runs end with their kernels)."""
        if self._thread is None or self.scheduler is None:
            return
        self._stop.set()
        self.scheduler.wake()
        self._thread.join(timeout=10)
        self.scheduler.shutdown()
        self.monitoring.stop()
