"""The audit trail of jobs and runs: a run-event subscriber (:mod:`nbtools.jobs.events`).

Each entry is written once the change is committed, in its own transaction (a queued run's
entry in the transaction that inserts the run, so a submission writes once), and names the
actor the event carries (the authenticated user on the server, the CLI's actor otherwise).
Summaries name fields and ids, never parameter values (they may hold secrets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from nbtools import audit
from nbtools.jobs.tables import jobs_table

if TYPE_CHECKING:
    from nbtools.jobs.events import JobDeleted, JobSaved, RunCancelled, RunQueued, RunsPruned


def job_saved(event: JobSaved) -> None:
    summary: dict[str, object] = {"changed": list(event.changed)}
    if event.action == "job.create":
        job_columns = jobs_table.c
        query = select(
            job_columns.name,
            job_columns.notebook_path,
            job_columns.cron,
            job_columns.purpose,
            job_columns.parameters,
            job_columns.pinned_version_id,
        ).where(job_columns.id == event.job_id)
        with event.project.store.connection() as connection:
            job = connection.execute(query).first()
            if job is None:  # deleted meanwhile: the deletion has its own entry
                return
            summary = {
                "name": job.name,
                "notebook_path": job.notebook_path,
                "cron": job.cron,
                "purpose": job.purpose,
                "parameters": sorted(job.parameters),
                "pinned_version_id": job.pinned_version_id,
            }
    audit.record_now(event.project.store, event.actor, event.action, f"job {event.job_id}", summary)


def job_deleted(event: JobDeleted) -> None:
    action = "job.delete" if event.purge else "job.archive"
    summary = {"cancelled_runs": list(event.cancelled)} if event.cancelled else {}
    audit.record_now(event.project.store, event.actor, action, f"job {event.job_id}", summary)


def run_queued(event: RunQueued) -> None:
    action = "run.rerun" if event.trigger == "rerun" else "run.submit"
    summary = {
        "trigger": event.trigger,
        "notebook_path": event.notebook_path,
        "job_id": event.job_id,
    }
    audit.record(event.session, event.actor, action, f"run {event.run_id}", summary)


def run_cancelled(event: RunCancelled) -> None:
    summary = {"status": event.status}
    audit.record_now(event.store, event.actor, "run.cancel", f"run {event.run_id}", summary)


def runs_pruned(event: RunsPruned) -> None:
    target = f"{len(event.run_ids)} runs"
    audit.record_now(event.project.store, event.actor, "runs.prune", target, event.summary)
