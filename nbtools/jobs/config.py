"""Settings of the jobs feature, shared by the server extension and ``nbtools scheduler``.

In a Jupyter config file: ``c.JobsSettings.run_scheduler = False`` when a separate
``nbtools scheduler`` daemon executes the jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from traitlets import Bool, Enum, Int, Unicode

from nbtools.config import Number, Refused, Settings
from nbtools.cpus import check_per_cpu
from nbtools.errors import InvalidInputError
from nbtools.jobs.engine import SAVE_EVERY_SECONDS
from nbtools.jobs.executors import EXECUTORS
from nbtools.jobs.executors.dask_connect import CONNECT_TIMEOUT_SECONDS
from nbtools.jobs.leases import LEASE_SECONDS
from nbtools.kernels import STARTUP_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from nbtools.jobs.scheduler import Scheduler
    from nbtools.project import Project


#: The shortest lease: a run's worker renews it every second.
MIN_LEASE_SECONDS = 3.0
#: Seconds between ticks of :meth:`~nbtools.jobs.scheduler.Scheduler.run_forever`.
POLL_SECONDS = 1.0
#: The longest wait before a retry, however many attempts doubled the backoff.
MAX_RETRY_BACKOFF_SECONDS = 3600.0
#: Seconds between two prunes of expired runs (:mod:`nbtools.jobs.retention`).
PRUNE_SECONDS = 3600.0
#: Local workers per CPU at most (``workers``): each holds a running and a pre-started kernel
#: (≈ 150 MiB with the worker, before the notebook's data). One per CPU suits CPU-bound
#: notebooks and two I/O-bound ones (docs/operations.md); twice that still fits, while a number
#: such as 100000 forked workers until the machine ran out of memory.
LOCAL_WORKERS_PER_CPU = 4


class StorageLocation(Unicode):  # type: ignore[type-arg]
    """Where runs' files go when workers run on other machines (empty: the store directory),
    refused unless :meth:`~nbtools.jobs.storage.Storage.parse` takes it, so that a bad one is
    refused naming where it was set (the flag, the variable or the config file)."""

    info_text = "an absolute path or a URL fsspec can open"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        if text:
            from nbtools.jobs.storage import Storage

            try:
                Storage.parse(text)
            except InvalidInputError as error:
                raise Refused(error.message.rstrip(".")) from None
        return text


class DaskAddress(Unicode):  # type: ignore[type-arg]
    """The Dask scheduler's address (empty: none), refused unless it has the form Dask reads
    (:func:`~nbtools.jobs.executors.dask.check_address`), so that a bad one is refused naming
    where it was set, before connecting."""

    info_text = "a Dask scheduler address, [tcp://]HOST:PORT"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        if text:
            from nbtools.jobs.executors.dask import check_address

            try:
                check_address(text)
            except InvalidInputError as error:
                raise Refused(error.details["reason"]) from None
        return text


class KeepRuns(Unicode):  # type: ignore[type-arg]
    """How long runs are kept (empty: every run), refused unless
    :func:`~nbtools.jobs.retention.parse_keep_runs` takes it, so that a bad one is refused
    naming where it was set, by every command that reads the jobs' settings (not only by one
    that prunes); kept in its stored form (``"10"``, ``"30d"``)."""

    info_text = "a number of runs (10) or an age (30d, 12w, 1y)"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        from nbtools.jobs.retention import parse_keep_runs

        try:
            return parse_keep_runs(text) or ""
        except InvalidInputError as error:
            if "reason" in error.details:  # a count out of range
                raise Refused(error.details["reason"]) from None
            self.error(obj, value)  # not of the form: what is expected says it all


class JobsSettings(Settings):
    """How scheduled jobs and queued runs are executed."""

    env_prefix: ClassVar[str] = "NBTOOLS_JOBS_"

    run_scheduler = Bool(
        True,
        help="Run the scheduler inside the Jupyter server. Turn off when an `nbtools scheduler` "
        "daemon serves the same store.",
    ).tag(config=True)

    executor = Enum(
        tuple(EXECUTORS), "local", help="Executor of runs, by registered name: local or dask."
    ).tag(config=True)

    dask_address = DaskAddress(
        "", help="Address of the Dask scheduler for the dask executor, e.g. tcp://10.0.0.5:8786."
    ).tag(config=True)

    dask_connect_timeout_seconds = Number(
        CONNECT_TIMEOUT_SECONDS,
        min=0.001,
        help="Seconds a connection to the Dask scheduler may take, its answer included (refused "
        "connections are tried again meanwhile); a client that lost the Dask scheduler tries "
        "to reconnect for as long before a new one connects. Raise it on a slow network.",
    ).tag(config=True)

    storage = StorageLocation(
        "",
        help="Shared storage for runs' inputs and outputs, when workers run on other machines: "
        "an absolute path or an fsspec URL (file:///shared/nbtools, s3://bucket/nbtools). "
        "Default: outputs in the store directory, notebooks read from the root.",
    ).tag(config=True)

    workers = Int(
        0,
        min=0,
        help="Runs executed at once (warm worker processes); 0 means the CPUs this process may "
        f"run on. The local executor takes at most {LOCAL_WORKERS_PER_CPU} per CPU; the dask "
        "executor's runs in flight follow the cluster, this caps them.",
    ).tag(config=True)

    kernel_zygote = Bool(
        True,
        help="Fork each run's fresh python3 kernel from a process, one per executor, that has "
        "already imported ipykernel (the kernel zygote, docs/performance.md) instead of a new "
        "interpreter: the same isolation at a fraction of the CPU. Other kernels, and runs "
        "whose environment differs from the worker's, always start normally. Local executor.",
    ).tag(config=True)

    kernel_start_timeout_seconds = Number(
        STARTUP_TIMEOUT_SECONDS,
        min=0.001,
        help="Seconds a run's kernel may take to answer once launched (its start): a kernel "
        "still silent then fails its run, named in the error, and is killed. The runs of "
        "schedulers (their workers, local or Dask); `nbtools run` has --start-timeout.",
    ).tag(config=True)

    poll_seconds = Number(POLL_SECONDS, min=0.01, help="Seconds between scheduler ticks.").tag(
        config=True
    )

    stale_after_seconds = Number(
        LEASE_SECONDS,
        min=MIN_LEASE_SECONDS,
        help="Seconds a run's lease lasts without a heartbeat: then a running run is ended as "
        "lost (and retried by its job's policy) and a claimed, queued one goes to any scheduler. "
        "The runs of schedulers and of `nbtools run`; at least 3 (three heartbeats).",
    ).tag(config=True)

    progress_save_seconds = Number(
        SAVE_EVERY_SECONDS,
        min=0.01,
        help="Seconds at least between two saves of a running notebook's progress (its "
        "outputs so far, the notebook a lost run keeps): each save writes the whole notebook. "
        "The runs of schedulers (their workers, local or Dask) and of `nbtools run`; the "
        "executed notebook is always saved when the run ends.",
    ).tag(config=True)

    max_retry_backoff_seconds = Number(
        MAX_RETRY_BACKOFF_SECONDS,
        min=0,
        help="The longest wait before retrying a failed run: a job's retry backoff doubles per "
        "attempt up to this many seconds.",
    ).tag(config=True)

    max_running = Int(
        0,
        min=0,
        help="Runs executing at once in the whole store, across every scheduler sharing it "
        "(servers and daemons): a cap that holds per store, not per process. 0: no cap beyond "
        "each scheduler's workers.",
    ).tag(config=True)

    keep_runs = KeepRuns(
        "",
        help="How long runs are kept when their job sets no keep_runs (and for runs without "
        "a job): a number of runs per job or notebook (10) or an age (30d, 12w, 1y); their "
        "outputs are then pruned (docs/governance.md). Empty: keep every run. Not a "
        "service's minutes, which only their job's own keep_runs prunes.",
    ).tag(config=True)

    prune_interval_seconds = Number(
        PRUNE_SECONDS,
        min=0,
        help="Seconds between two prunes of expired runs by each scheduler (0: never; "
        "`nbtools runs prune` still works).",
    ).tag(config=True)

    def check_workers(self) -> None:
        """Refuse more local workers than :data:`LOCAL_WORKERS_PER_CPU` for each CPU this
        process may run on (InvalidInputError naming ``workers``); a Dask cluster's workers
        are other machines', so the dask executor takes any number."""
        if self.executor == "local":
            check_per_cpu(
                self.workers,
                LOCAL_WORKERS_PER_CPU,
                least=0,
                name="JobsSettings.workers of the local executor",
                field="workers",
            )

    def create_scheduler(self, project: Project, metric_max_bytes: int) -> Scheduler:
        """The scheduler loop and its executor, as these settings describe them; its runs
        record metric values up to ``metric_max_bytes`` (``MetricsSettings.max_value_bytes``)."""
        from nbtools.jobs.executors import create_executor
        from nbtools.jobs.scheduler import Scheduler
        from nbtools.jobs.storage import Storage

        self.check_workers()
        storage = Storage.parse(self.storage) if self.storage else None
        executor = create_executor(
            self.executor,
            self.workers or None,
            cwd=project.root,
            dask_address=self.dask_address,
            dask_connect_timeout=self.dask_connect_timeout_seconds,
            zygote=self.kernel_zygote,
        )
        return Scheduler(
            project,
            executor,
            poll_seconds=self.poll_seconds,
            lease_seconds=self.stale_after_seconds,
            storage=storage,
            max_retry_backoff=self.max_retry_backoff_seconds,
            max_running=self.max_running,
            keep_runs=self.keep_runs or None,
            prune_seconds=self.prune_interval_seconds,
            executor_name=self.executor,
            metric_max_bytes=metric_max_bytes,
            progress_save_seconds=self.progress_save_seconds,
            kernel_start_timeout=self.kernel_start_timeout_seconds,
        )
