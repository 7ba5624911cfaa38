"""The executor interface: submit run requests, learn when they are done."""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from nbtools.cpus import available_cpus
from nbtools.jobs.engine import SAVE_EVERY_SECONDS
from nbtools.jobs.leases import LEASE_SECONDS
from nbtools.kernels import STARTUP_TIMEOUT_SECONDS
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES

if TYPE_CHECKING:
    from nbtools.project import Project

log = logging.getLogger(__name__)


class DoneCallback(Protocol):
    """Called with (run id, final status or None when the executor lost the run). The status
    may also be :data:`UNTRACKED`, or None when the run was not this submission's to start.
    ``error`` is what the run's task raised, when the executor saw it raise (a Dask task):
    the run ends failed with it if it is still running under the submission's claim."""

    def __call__(
        self, run_id: int, status: str | None, error: BaseException | None = None
    ) -> None: ...


#: The executor stopped tracking the run, which may still execute: its lease decides.
UNTRACKED = "untracked"


#: The setting of a scheduler's kernel start timeout, named by the error of a kernel that
#: did not answer within it (the kernel sources of the local and Dask workers).
KERNEL_START_SETTING = "JobsSettings.kernel_start_timeout_seconds"


@dataclass(frozen=True)
class RunRequest:
    """Everything a worker needs to execute a run, in picklable / JSON-able form.

    ``token`` is the scheduler's claim on the run (only its holder may start it) and
    ``lease_seconds`` how long the run's lease lasts between heartbeats. With shared
    ``storage`` the notebook is read from ``input_url`` and the outputs written there.
    ``metric_max_bytes`` (``MetricsSettings.max_value_bytes``) is the largest metric value
    the run's kernel records and its harvest keeps. ``cwd`` is the kernel's working directory
    (``nbtools run --cwd``; empty: the notebook's folder). ``progress_save_seconds``
    (``JobsSettings.progress_save_seconds``) is the least time between two saves of the
    running notebook's progress. ``report_mode`` hides the code cells' inputs in the output
    notebook (``nbtools run --report-mode``, papermill's ``--report-mode``).
    ``kernel_start_timeout`` (:data:`KERNEL_START_SETTING`, ``nbtools run --start-timeout``)
    is how long the run's kernel may take to answer.
    """

    run_id: int
    root: str
    store_dir: str
    db_url: str
    token: str | None = None
    lease_seconds: float = LEASE_SECONDS
    storage: str = ""
    input_url: str = ""
    metric_max_bytes: int = DEFAULT_MAX_VALUE_BYTES
    cwd: str = ""
    progress_save_seconds: float = SAVE_EVERY_SECONDS
    report_mode: bool = False
    kernel_start_timeout: float = STARTUP_TIMEOUT_SECONDS

    @classmethod
    def for_project(cls, project: Project, run_id: int, **options: Any) -> RunRequest:
        """A request to execute ``run_id`` of ``project`` against its own store."""
        return cls(run_id, str(project.root), str(project.store_dir), project.db_url, **options)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Executor(abc.ABC):
    """Runs requests with bounded concurrency; extra requests wait in its queue."""

    #: Keyword options of the constructor that :func:`create_executor` passes from settings.
    options: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        size: int | None = None,
        on_done: DoneCallback | None = None,
        *,
        cwd: Path | None = None,
    ) -> None:
        self.size = size or available_cpus()
        self.on_done = on_done
        self.cwd = cwd or Path.cwd()
        #: Once set, a start in progress or to come gives up (:meth:`stop_with`).
        self.stop_event: threading.Event | None = None

    def stop_with(self, stop: threading.Event) -> None:
        """The scheduler's stop event, handed over when its loop starts: an executor that
        starts lazily (the dask executor connects at its first use, and again after losing
        its cluster) gives up such a start once it is set, as :meth:`start` does with its
        own ``stop``."""
        self.stop_event = stop

    def _report(self, run_id: int, status: str | None, error: BaseException | None = None) -> None:
        """Tell :attr:`on_done` that a run is done; its failure is logged: in one line when
        the store is unavailable (it retries nothing: the run's lease decides), else with
        its traceback."""
        if self.on_done is None:
            return
        try:
            self.on_done(run_id, status, error)
        except Exception as exc:
            from nbtools.store.database import store_failure, store_unavailable

            if not store_unavailable(exc):
                log.exception("nbtools: run %s done callback failed", run_id)
            else:
                log.warning("nbtools: run %s done callback failed: %s", run_id, store_failure(exc))

    @abc.abstractmethod
    def start(self, stop: threading.Event | None = None) -> None:
        """Start workers (idempotent); requests submitted before are kept. Once ``stop`` is
        set (the scheduler was asked to stop while it starts) it returns without starting
        more: :meth:`shutdown` stops what it started."""

    @abc.abstractmethod
    def submit(self, request: RunRequest) -> None:
        """Queue a run; a worker claims it in the store when it gets to it."""

    @abc.abstractmethod
    def pending(self) -> set[int]:
        """Run ids submitted and not yet reported done."""

    def free_slots(self) -> int:
        """How many more runs could start now without queueing."""
        return max(0, self.size - len(self.pending()))

    def resume(
        self, db_url: str, others: Callable[[], Collection[str]] = frozenset
    ) -> dict[int, str]:
        """Track runs of the store at ``db_url`` left in flight by scheduler processes that
        are gone (an earlier process of this one, another one stopped or killed), if this
        executor's runs outlive their scheduler; returns their ids, each with the claim token
        it was submitted with. ``others()``: the claim owners of the other schedulers alive,
        whose runs are theirs to track."""
        return {}

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Stop workers; running runs are stopped with their kernels."""
