"""Monitoring's subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_started``: the modules ending a run needs (harvest, pipeline, rules) are imported, in
  the runner's background thread while the notebook executes, so the run's end does not wait
  for them (in a one-shot ``nbtools run`` the end is on the command's critical path).
- ``run_finishing``: the run's metrics are read from its executed notebook (before the
  transaction); inside it (``run_finished``, in a savepoint: a failure is logged and never
  keeps the run from ending) they are stored and, on the run's last attempt, the job's rules
  are evaluated and its notifications queued.
- ``jobs_checked``: the ``late`` rules of every active job, each in its own savepoint.
- ``runs_pruned``: the metrics harvested from pruned runs are deleted (alerts they raised
  stay, keeping their text).

Every event imports this module, and a page of runs (``runs_described``, which adds nothing to
a list) is most of them in a CLI process: the rest of monitoring (its tables, rules, alerts,
notifications: a sixth of ``nbtools runs list``'s imports) is imported by the events that use
it, when they run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from nbtools.errors import NotFoundError
from nbtools.jobs.run_files import executed_notebook
from nbtools.jobs.tables import FINAL_STATES, SUCCEEDED

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.jobs.events import (
        JobsChecked,
        JobsDescribed,
        RunFinished,
        RunFinishing,
        RunsDescribed,
        RunsPruned,
        RunStarted,
    )
    from nbtools.jobs.models import Job
    from nbtools.metrics.harvest import Harvest
    from nbtools.metrics.monitor import MonitorResult
    from nbtools.metrics.notify.payload import JobRef
    from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: Least slack given to a schedule before its job counts as late.
MIN_GRACE = timedelta(minutes=5)

#: What :func:`harvest_run` and :func:`store_finished_run` import when a run ends (not yet
#: loaded by importing this module).
FINISHING_MODULES = (
    "nbtools.metrics.harvest",
    "nbtools.metrics.pipeline",
    "nbtools.metrics.monitor",
    "nbtools.metrics.rules",
)


def job_ref(job: Job) -> JobRef:
    from nbtools.metrics.notify.payload import JobRef

    return JobRef(job.id, job.name)


def run_started(event: RunStarted) -> dict[str, Any]:
    """Import :data:`FINISHING_MODULES` now, while the run executes; no lineage columns.

    Only saves time: an import failing here (it fails again when the run ends, and is
    reported there) is logged and never costs the run its other subscribers' columns.
    """
    for name in FINISHING_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            log.exception("nbtools: run %s: cannot import %s", event.run_id, name)
    return {}


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], MonitorResult]:
    """Read the run's metrics now; store them (and alert) inside the finishing transaction."""
    harvest = harvest_run(event.store, event.run_id, event.output_dir, event.metric_max_bytes)
    return lambda finished: store_finished_run(
        finished.session, finished.run_id, finished.now, harvest, finished.final
    )


def harvest_run(store: Store, run_id: int, output_dir: str | None, max_bytes: int) -> Harvest:
    """Read the metrics of a run's executed notebook, values up to ``max_bytes`` (outside
    any write transaction)."""
    from nbtools.metrics.harvest import Harvest
    from nbtools.metrics.pipeline import harvest_file

    try:
        return harvest_file(executed_notebook(store, run_id, output_dir), max_bytes)
    except NotFoundError:  # the run is gone
        return Harvest()
    except SQLAlchemyError:
        raise  # the store is unreachable: the run's end is retried, metrics and all
    except Exception:
        log.exception("nbtools: cannot read the metrics of run %s", run_id)
        return Harvest(problems=["The metrics could not be read (see the server log)."])


def store_finished_run(
    session: Session, run_id: int, now: datetime, harvest: Harvest, final: bool = True
) -> MonitorResult:
    """Store the metrics of ended run ``run_id`` and, when ``final``, evaluate its job's rules
    against the job's earlier runs (also used for a service's per-minute aggregates)."""
    from nbtools.jobs.models import Job, Run
    from nbtools.metrics.monitor import MonitorResult
    from nbtools.metrics.pipeline import FinishedRun, process_finished_run
    from nbtools.metrics.rules import MAX_WINDOW

    run = session.get(Run, run_id)
    if run is None:
        return MonitorResult()
    job = session.get(Job, run.job_id) if run.job_id is not None else None
    previous = []
    if job is not None and final:
        earlier = session.scalars(
            select(Run)
            .where(Run.job_id == job.id, Run.id < run.id, Run.status.in_(FINAL_STATES))
            .order_by(Run.id.desc())
            .limit(MAX_WINDOW)
        )
        previous = [(r.id, r.status, r.parameters) for r in earlier]
    return process_finished_run(
        session,
        job=job_ref(job) if job is not None else None,
        run=FinishedRun(run.id, run.status, run.parameters, harvest),
        previous=previous,
        now=now,
        evaluate=final,
    )


def expected_interval(job: Job, now: datetime) -> timedelta | None:
    """The gap between the job's last two due times, plus slack; None without a schedule.

    Taking the latest gap follows uneven schedules: after a weekday job's weekend gap,
    Monday is not late until the weekend's length has passed.
    """
    if job.cron is None:
        return None
    from nbtools.jobs.schedules import previous_times

    latest, before = previous_times(job.cron, job.timezone, now, 2)
    gap = latest - before
    return gap + max(gap / 10, MIN_GRACE)


def runs_described(event: RunsDescribed) -> dict[int, dict[str, Any]]:
    """A run shown alone has its ``metrics`` (``{name: value}``); a list has none."""
    if not event.detail:
        return {}
    from nbtools.metrics.run_values import run_metric_values

    return {run.id: {"metrics": run_metric_values(event.connection, run.id)} for run in event.runs}


def jobs_described(event: JobsDescribed) -> dict[int, dict[str, Any]]:
    """Each job's ``open_alerts`` count (0 for none)."""
    from nbtools.metrics.alerts import open_alert_counts

    counts = open_alert_counts(event.session, [job.id for job in event.jobs])
    return {job.id: {"open_alerts": counts.get(job.id, 0)} for job in event.jobs}


def jobs_checked(event: JobsChecked) -> list[int]:
    """The ids of the alerts raised by the ``late`` rules of every active job."""
    return [alert.id for alert in check_late_jobs(event.session, event.now).alerts]


def check_late_jobs(session: Session, now: datetime) -> MonitorResult:
    """Evaluate ``late`` rules of every active job that has one."""
    from nbtools.jobs.models import Job, Run
    from nbtools.metrics.monitor import MonitorResult, check_late
    from nbtools.metrics.rules import Late
    from nbtools.metrics.tables import AlertRule

    result = MonitorResult()
    with_late_rules = select(AlertRule.job_id).where(
        AlertRule.kind == Late.kind, AlertRule.enabled.is_(True)
    )
    jobs = session.scalars(select(Job).where(Job.id.in_(with_late_rules), Job.paused.is_(False)))
    for job in jobs:
        try:
            with session.begin_nested():
                last_success = session.scalar(
                    select(func.max(Run.finished_at)).where(
                        Run.job_id == job.id, Run.status == SUCCEEDED
                    )
                )
                found = check_late(
                    session,
                    job=job_ref(job),
                    last_success_at=last_success,
                    since=job.created_at,
                    now=now,
                    expected_interval=expected_interval(job, now),
                )
        except Exception:
            log.exception("nbtools: the late check of job %s failed; other jobs go on", job.id)
            continue
        result.alerts += found.alerts
        result.notifications += found.notifications
        result.rule_errors.update(found.rule_errors)
    return result


def runs_pruned(event: RunsPruned) -> None:
    from nbtools.metrics.tables import MetricHarvest, MetricValue

    with event.project.store.session(write=True) as session:
        for table in (MetricValue, MetricHarvest):
            session.execute(delete(table).where(table.run_id.in_(event.run_ids)))
