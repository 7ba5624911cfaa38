"""The scheduler loop: enqueue due runs, reap lost runs, hand queued runs to an executor.

Several schedulers may share one database: a due time becomes a run row only once (unique
``(job_id, scheduled_for)``), and a queued run goes to the one scheduler that claims it (see
:mod:`nbtools.jobs.leases`). The loop outlives database outages, retrying with a growing
pause. The clock is injectable, so tests can walk through days of schedule in milliseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from nbtools.durations import doubling_wait
from nbtools.errors import NbtoolsError
from nbtools.jobs import events, leases, missed, reaper, runs, wakeups
from nbtools.jobs.config import MAX_RETRY_BACKOFF_SECONDS, POLL_SECONDS, PRUNE_SECONDS
from nbtools.jobs.deletion import locked_job
from nbtools.jobs.engine import SAVE_EVERY_SECONDS
from nbtools.jobs.errors import ExecutorStartError, ExecutorUnavailableError
from nbtools.jobs.executors.base import Executor, RunRequest
from nbtools.jobs.presence import Presence, alive_owners
from nbtools.jobs.schedules import next_due
from nbtools.jobs.tables import Job
from nbtools.jobs.zones import job_zone
from nbtools.kernels import STARTUP_TIMEOUT_SECONDS
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.store.base import utcnow
from nbtools.store.database import store_failure, store_unavailable

if TYPE_CHECKING:
    from nbtools.jobs.storage import Storage
    from nbtools.project import Project

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Longest pause between ticks while the database is unreachable.
MAX_BACKOFF_SECONDS = 30.0
#: Seconds between two evaluations of the jobs' ``late`` alert rules.
LATE_CHECK_SECONDS = 60.0
#: The most expired runs one tick prunes (two batches, well under a second): more are left
#: to the next ticks, so that a backlog (retention just turned on) never stalls due runs.
PRUNE_PER_TICK = 1000


@dataclass
class TickReport:
    """What one tick did: runs created, runs reaped, runs handed to the executor, and the
    alerts raised because a job is late."""

    created: list[int] = field(default_factory=list)
    reaped: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    late_alerts: list[int] = field(default_factory=list)
    pruned: list[int] = field(default_factory=list)


class Scheduler:
    """Drives jobs of one project: cron → run rows → executor."""

    def __init__(
        self,
        project: Project,
        executor: Executor | None = None,
        *,
        clock: Clock = utcnow,
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = leases.LEASE_SECONDS,
        misfire_grace: float = missed.MISFIRE_GRACE_SECONDS,
        storage: Storage | None = None,
        claimer: leases.Claimer | None = None,
        max_retry_backoff: float = MAX_RETRY_BACKOFF_SECONDS,
        max_running: int = 0,
        keep_runs: str | None = None,
        prune_seconds: float = PRUNE_SECONDS,
        executor_name: str = "local",
        metric_max_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        progress_save_seconds: float = SAVE_EVERY_SECONDS,
        kernel_start_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self.project, self.executor, self.clock = project, executor, clock
        #: The executor's name as the settings give it, shown with the scheduler's presence.
        self.executor_name = executor_name
        #: ``MetricsSettings.max_value_bytes``, handed to every run it submits.
        self.metric_max_bytes = metric_max_bytes
        #: ``JobsSettings.progress_save_seconds``, handed to every run it submits.
        self.progress_save_seconds = progress_save_seconds
        #: ``JobsSettings.kernel_start_timeout_seconds``, handed to every run it submits.
        self.kernel_start_timeout = kernel_start_timeout
        self.poll_seconds, self.lease_seconds, self.misfire_grace = (
            poll_seconds,
            lease_seconds,
            misfire_grace,
        )
        self.storage = storage
        self.max_retry_backoff = timedelta(seconds=max_retry_backoff)
        #: Runs executing at once in the whole store, across schedulers (0: no such cap).
        self.max_running = max_running
        self.claimer = claimer or leases.Claimer()
        #: Run id → claim token of the runs this scheduler handed to its executor (or took
        #: over from a scheduler gone: :meth:`_resume`): only those claims it renews.
        self._claims: dict[int, str] = {}
        #: Set by :meth:`shutdown`: runs its executor ends now ended with the scheduler.
        self._stopping = False
        #: Runs that ended with the scheduler (:meth:`shutdown` counts them).
        self._ended_by_stop = 0
        #: Claims on runs waiting in the executor are renewed every third of a lease, not
        #: at every tick (a tick follows every queued run: each renewal is a write).
        self.renew_every = timedelta(seconds=lease_seconds / 3)
        self._renewed: datetime | None = None
        self._wake = threading.Event()
        self.late_check_every = timedelta(seconds=LATE_CHECK_SECONDS)
        self._late_checked: datetime | None = None
        #: The project's default retention of runs (``JobsSettings.keep_runs``).
        self.keep_runs = keep_runs
        self.prune_every = timedelta(seconds=prune_seconds) if prune_seconds > 0 else None
        self._pruned: datetime | None = None
        #: Job id → the note on its stored timezone this scheduler logged (once a job).
        self._zone_notes: dict[int, str] = {}
        if executor is not None:
            executor.on_done = self._on_done

    def tick(self) -> TickReport:
        """One pass: enqueue due runs, reap lost runs, dispatch queued runs, check late jobs,
        prune expired runs."""
        now = self.clock()
        report = TickReport()
        report.created = self.enqueue_due(now)
        report.reaped = reaper.reap(self.project.store, now)
        report.submitted = self.dispatch(now)
        report.late_alerts = self.check_late(now)
        report.pruned = self.prune(now)
        return report

    def prune(self, now: datetime) -> list[int]:
        """Prune expired runs, at most once per ``prune_every`` (the first tick prunes), and
        at most :data:`PRUNE_PER_TICK` of them: the next tick prunes the rest, until none is
        left. A failure is logged and retried at the next interval, never stopping the loop."""
        if self.prune_every is None:
            return []
        if self._pruned is not None and now - self._pruned < self.prune_every:
            return []
        self._pruned = now
        from nbtools.jobs.retention import prune_runs

        try:
            report = prune_runs(
                self.project,
                default_keep=self.keep_runs,
                trigger="scheduler",
                now=now,
                limit=PRUNE_PER_TICK,
            )
        except (NbtoolsError, OSError) as error:
            log.warning("nbtools: pruning expired runs failed: %s", error)
            return []
        if report.remaining:
            self._pruned = None  # the next tick goes on
        return report.pruned

    def check_late(self, now: datetime) -> list[int]:
        """Evaluate the jobs' ``late`` rules, at most once per ``late_check_every``."""
        if self._late_checked is not None and now - self._late_checked < self.late_check_every:
            return []
        self._late_checked = now
        with self.project.store.session(write=True) as session:
            return events.jobs_checked(events.JobsChecked(session, now))

    def enqueue_due(self, now: datetime) -> list[int]:
        """Create one run per due time of every active job (exactly once across schedulers)."""
        store = self.project.store
        with store.session() as session:
            job_ids = list(
                session.scalars(
                    select(Job.id).where(
                        Job.cron.is_not(None), Job.paused.is_(False), Job.next_run_at <= now
                    )
                )
            )
        created: list[int] = []
        for job_id in job_ids:
            try:
                created += self._enqueue_job(job_id, now)
            except Exception:
                log.exception("nbtools: cannot schedule job %s; other jobs go on", job_id)
        return created

    def _enqueue_job(self, job_id: int, now: datetime) -> list[int]:
        with self.project.store.session(write=True) as session:
            job = locked_job(session, job_id, update=True)  # not deleted meanwhile
            if job is None or job.cron is None or job.paused or job.next_run_at is None:
                return []
            if job.next_run_at > now:
                return []  # another scheduler handled it first
            self._note_zone(job)
            created = missed.enqueue_due(
                session, job, now, grace=timedelta(seconds=self.misfire_grace)
            )
            job.next_run_at = next_due(job.cron, job.timezone, now)
            if job.next_run_at is None:  # never selected again: told once
                log.warning(
                    "nbtools: job %s (%r) has no run time left before the calendar ends with "
                    "the year 9999: its schedule runs it no more",
                    job.id,
                    job.name,
                )
            return created

    def _note_zone(self, job: Job) -> None:
        """Log how a job's stored timezone that is no IANA name (an older version's
        ``localtime``) is read, once a job while this scheduler runs (its name quoted, as
        Python writes it: a name cannot write a line of the log)."""
        note = job_zone(job.timezone).note
        if note is not None and self._zone_notes.get(job.id) != note:
            self._zone_notes[job.id] = note
            log.warning("nbtools: job %s (%r): %s", job.id, job.name, note)

    def dispatch(self, now: datetime) -> list[int]:
        """Claim queued, due runs within the executor's free slots and job limits; submit them."""
        if self.executor is None:
            return []
        if self.executor.pending():  # given runs while its workers could not start: try again
            self.executor.start()
        store = self.project.store
        if self._renewed is None or now - self._renewed >= self.renew_every:
            self._resume(now)
            held = {i: self._claims[i] for i in self.executor.pending() if i in self._claims}
            leases.renew_claims(store, held, now, self.lease_seconds)
            self._renewed = now
        claimed = leases.claim_due(
            store,
            self.claimer,
            now,
            self.lease_seconds,
            self.executor.free_slots(),
            self.max_retry_backoff,
            self.max_running,
        )
        for run_id, token in claimed.items():
            self._claims[run_id] = token
            self.executor.submit(
                RunRequest(
                    run_id,
                    str(self.project.root),
                    str(self.project.store_dir),
                    self.project.db_url,
                    token=token,
                    lease_seconds=self.lease_seconds,
                    storage=self.storage.location if self.storage else "",
                    input_url=self._stage_input(run_id),
                    metric_max_bytes=self.metric_max_bytes,
                    progress_save_seconds=self.progress_save_seconds,
                    kernel_start_timeout=self.kernel_start_timeout,
                )
            )
        return list(claimed)

    def _stage_input(self, run_id: int) -> str:
        """Copy the run's notebook to shared storage, if any; the worker reads it there."""
        if self.storage is None:
            return ""
        from nbtools.jobs.runner import notebook_bytes

        with self.project.store.session() as session:
            run = runs.get_run(session, run_id)
        try:
            return self.storage.put_input(notebook_bytes(self.project, run))
        except (OSError, NbtoolsError) as exc:  # the worker reports the missing notebook
            log.warning("nbtools: cannot stage %s for run %s: %s", run.notebook_path, run_id, exc)
            return ""

    def _on_done(self, run_id: int, status: str | None, error: BaseException | None = None) -> None:
        token = self._claims.pop(run_id, None)
        if error is not None and token is not None:
            reaper.end_run_with_error(self.project.store, run_id, token, error)
        elif status is None and token is not None:
            reason = (
                "The scheduler executing this run was stopped (its workers and kernels with it)."
                if self._stopping
                else "The worker process executing this run exited unexpectedly."
            )
            ended = reaper.end_run_of_dead_worker(self.project.store, run_id, token, reason)
            if ended and self._stopping:
                self._ended_by_stop += 1
        self.wake()

    def shutdown(self) -> int:
        """Stop the executor, once the loop has stopped: the runs it was executing end with
        their kernels (``WorkerLost``, retried as their job allows). Returns how many did."""
        self._stopping = True
        if self.executor is not None:
            self.executor.shutdown()
        return self._ended_by_stop

    def wake(self) -> None:
        """Tick now (e.g. a run was queued or finished) instead of at the next poll.

        Called in this process by the server's handlers and the executor, and on behalf of
        other processes by the :class:`~nbtools.jobs.wakeups.Listener` of :meth:`run_forever`.
        """
        self._wake.set()

    def _resume(self, now: datetime) -> None:
        """Track the runs that schedulers no longer running (an earlier process of this one,
        one stopped or killed) left in flight on the executor, never those of another
        scheduler alive (each claim's token names its scheduler: :func:`alive_owners`)."""
        assert self.executor is not None
        store = self.project.store

        def others() -> set[str]:
            return alive_owners(store, now) - {self.claimer.owner}

        resumed = self.executor.resume(self.project.db_url, others)
        self._claims.update(resumed)  # renewed and ended as this scheduler's own
        if resumed:
            log.warning(
                "nbtools: resumed tracking %d runs in flight: %s", len(resumed), list(resumed)
            )

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; a failing tick (e.g. the database is down) is retried
        after a pause that doubles up to :data:`MAX_BACKOFF_SECONDS`. Meanwhile the store
        lists this scheduler as serving it (:mod:`nbtools.jobs.presence`). ``stop`` also ends
        a start of the executor in progress (a connection to the Dask scheduler)."""
        if self.executor is not None:
            self.executor.stop_with(stop)
        presence = Presence(
            self.project.store, self.executor_name, self.poll_seconds, self.claimer.owner
        )
        try:
            presence.start(self.clock())
        except Exception as exc:  # the store is down: the first tick that reaches it adds it
            log.warning(
                "nbtools: cannot list this scheduler in the store yet: %s", store_failure(exc)
            )
        listener = wakeups.Listener(self.project.store, self.wake)
        listener.start()
        try:
            self._loop(stop, presence)
        finally:
            listener.stop()
            try:
                presence.stop()
            except Exception as exc:  # readers see it unseen, then gone, soon enough
                log.warning(
                    "nbtools: cannot remove this scheduler from the store: %s", store_failure(exc)
                )

    def _mark_seen(self, presence: Presence) -> None:
        """Mark this scheduler seen after a tick that worked; a failure to (the write refused)
        is logged, and neither fails the tick nor slows the loop down."""
        try:
            presence.seen(self.clock())
        except Exception as exc:
            log.warning(
                "nbtools: cannot mark this scheduler seen in the store: %s", store_failure(exc)
            )

    def _loop(self, stop: threading.Event, presence: Presence) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self.tick()
            except Exception as exc:
                if stop.is_set() and isinstance(exc, ExecutorUnavailableError):
                    break  # stopped while connecting: nothing failed
                failures += 1
                pause = doubling_wait(self.poll_seconds * 2, failures, MAX_BACKOFF_SECONDS)
                # the store down, no worker could start (the machine's limits), the Dask
                # scheduler away (reconnected at the next ticks): one line
                known = store_unavailable(exc) or isinstance(
                    exc, (ExecutorStartError, ExecutorUnavailableError)
                )
                said = store_failure(exc) if store_unavailable(exc) else exc
                if failures == 1 and known:
                    log.warning(
                        "nbtools: scheduler tick failed (%s); retrying in %.1f s", said, pause
                    )
                elif failures == 1:
                    log.exception("nbtools: scheduler tick failed; retrying in %.1f s", pause)
                else:
                    log.warning(
                        "nbtools: tick %d failed (%s); retrying in %.1f s", failures, said, pause
                    )
            else:
                if failures:
                    log.warning("nbtools: scheduler recovered after %d failed ticks", failures)
                failures, pause = 0, self.poll_seconds
                self._mark_seen(presence)
            self._wake.wait(pause)
            self._wake.clear()
