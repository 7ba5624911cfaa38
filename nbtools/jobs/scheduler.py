"""The scheduler loop: enqueue due runs, reap lost runs, hand queued runs to an executor.

Several schedulers may share one database: a due time becomes a run row only once (unique
``(job_id, scheduled_for)``), and a queued run is executed only by the worker that claims it.
The clock is injectable, so tests can walk through days of schedule in milliseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from nbtools.jobs import reaper, runs
from nbtools.jobs.executors.base import Executor, RunRequest
from nbtools.jobs.models import MISSED_SKIP, QUEUED, Job, Run
from nbtools.jobs.schedules import due_times, next_times
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.project import Project

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Seconds between ticks of :meth:`Scheduler.run_forever`.
POLL_SECONDS = 1.0
#: How late a due time may be and still run under the "skip" missed-run policy.
MISFIRE_GRACE_SECONDS = 60.0
#: Seconds between two evaluations of the jobs' ``late`` alert rules.
LATE_CHECK_SECONDS = 60.0


@dataclass
class TickReport:
    """What one tick did: runs created, runs reaped, runs handed to the executor, and the
    alerts raised because a job is late."""

    created: list[int] = field(default_factory=list)
    reaped: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    late_alerts: list[int] = field(default_factory=list)


class Scheduler:
    """Drives jobs of one project: cron → run rows → executor."""

    def __init__(
        self,
        project: Project,
        executor: Executor | None = None,
        *,
        clock: Clock = utcnow,
        poll_seconds: float = POLL_SECONDS,
        stale_after: float = reaper.STALE_AFTER_SECONDS,
        misfire_grace: float = MISFIRE_GRACE_SECONDS,
    ) -> None:
        self.project, self.executor, self.clock = project, executor, clock
        self.poll_seconds, self.stale_after, self.misfire_grace = (
            poll_seconds,
            stale_after,
            misfire_grace,
        )
        self._wake = threading.Event()
        self.late_check_every = timedelta(seconds=LATE_CHECK_SECONDS)
        self._late_checked: datetime | None = None
        if executor is not None:
            executor.on_done = self._on_done

    def tick(self) -> TickReport:
        """One pass: enqueue due runs, reap lost runs, dispatch queued runs, check late jobs."""
        now = self.clock()
        report = TickReport()
        report.created = self.enqueue_due(now)
        report.reaped = reaper.reap(self.project.store, now, self.stale_after)
        report.submitted = self.dispatch(now)
        report.late_alerts = self.check_late(now)
        return report

    def check_late(self, now: datetime) -> list[int]:
        """Evaluate the jobs' ``late`` rules, at most once per ``late_check_every``."""
        if self._late_checked is not None and now - self._late_checked < self.late_check_every:
            return []
        self._late_checked = now
        from nbtools.metrics.jobs_monitor import check_late_jobs

        with self.project.store.session(write=True) as session:
            result = check_late_jobs(session, now)
            return [alert.id for alert in result.alerts]

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
            job = session.get(Job, job_id)
            if job is None or job.cron is None or job.paused or job.next_run_at is None:
                return []
            if job.next_run_at > now:
                return []  # another scheduler handled it first
            due = due_times(job.cron, job.timezone, job.next_run_at, now)
            if job.missed_policy == MISSED_SKIP:
                grace = now - timedelta(seconds=self.misfire_grace)
                due = [time for time in due if time >= grace]
            else:
                due = due[-1:]  # run once for everything missed
            job.next_run_at = next_times(job.cron, job.timezone, now)[0]
            created = []
            for scheduled_for in due:
                run = runs.new_run(job, trigger="schedule", scheduled_for=scheduled_for)
                try:
                    with session.begin_nested():
                        session.add(run)
                except IntegrityError:
                    continue  # this due time already has its run
                created.append(run.id)
            return created

    def dispatch(self, now: datetime) -> list[int]:
        """Hand queued, due runs to the executor within its free slots and job limits."""
        if self.executor is None:
            return []
        free = self.executor.free_slots()
        if free <= 0:
            return []
        pending = self.executor.pending()
        with self.project.store.session() as session:
            queued = list(
                session.scalars(
                    select(Run)
                    .where(
                        Run.status == QUEUED,
                        or_(Run.not_before.is_(None), Run.not_before <= now),
                    )
                    .order_by(Run.id)
                    .limit(free + len(pending) + 100)
                )
            )
            active = runs.active_counts(session)
            limits = {job.id: job.max_concurrent for job in session.scalars(select(Job))}
        submitted: list[int] = []
        for run in queued:  # runs handed over earlier but not claimed yet count as active
            if run.id in pending and run.job_id is not None:
                active[run.job_id] = active.get(run.job_id, 0) + 1
        for run in queued:
            if len(submitted) >= free:
                break
            if run.id in pending:
                continue
            if run.job_id is not None:
                if active.get(run.job_id, 0) >= limits.get(run.job_id, 1):
                    continue
                active[run.job_id] = active.get(run.job_id, 0) + 1
            self.executor.submit(
                RunRequest(
                    run.id, str(self.project.root), str(self.project.store_dir), self.project.db_url
                )
            )
            submitted.append(run.id)
        return submitted

    def _on_done(self, run_id: int, status: str | None) -> None:
        if status is None:
            reaper.end_run_of_dead_worker(self.project.store, run_id)
        self.wake()

    def wake(self) -> None:
        """Tick now (e.g. a run was queued or finished) instead of at the next poll."""
        self._wake.set()

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; errors are logged and the loop goes on."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("nbtools: scheduler tick failed; retrying")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
