"""Job definitions: create, edit, pause/resume and delete, with every input checked first."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.jobs.models import MISSED_RUN_ONCE, MISSED_SKIP, Job
from nbtools.jobs.schedules import check_cron, check_timezone, next_times
from nbtools.jobs.submit import check_timeout, checked_parameters
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.project import Project

#: Fields a job can be created or edited with, and their defaults.
JOB_FIELDS: dict[str, Any] = {
    "name": None,
    "notebook_path": None,
    "parameters": {},
    "cron": None,
    "timezone": "UTC",
    "paused": False,
    "retries": 0,
    "retry_backoff_seconds": 60,
    "timeout_seconds": None,
    "max_concurrent": 1,
    "output_html": False,
    "missed_policy": MISSED_RUN_ONCE,
    "kernel_name": None,
}


def _check_int(name: str, value: Any, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidInputError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}.", field=name
        )
    return value


def _checked(project: Project, fields: dict[str, Any], *, from_text: bool) -> dict[str, Any]:
    """Validate a full set of job fields; returns them normalized."""
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise InvalidInputError(
            f"Unknown job field(s): {', '.join(sorted(unknown))}. Known: {', '.join(JOB_FIELDS)}.",
            fields=sorted(unknown),
        )
    checked = {**JOB_FIELDS, **fields}
    path = checked["notebook_path"]
    if not isinstance(path, str) or not path:
        raise InvalidInputError("A job needs the notebook's path (notebook_path).")
    checked["parameters"] = checked_parameters(
        project, path, dict(checked["parameters"] or {}), from_text=from_text
    )
    if checked["cron"] is not None:
        checked["cron"] = check_cron(str(checked["cron"]))
    check_timezone(str(checked["timezone"]))
    checked["retries"] = _check_int("retries", checked["retries"], 0)
    checked["retry_backoff_seconds"] = _check_int(
        "retry_backoff_seconds", checked["retry_backoff_seconds"], 0
    )
    checked["max_concurrent"] = _check_int("max_concurrent", checked["max_concurrent"], 1)
    checked["timeout_seconds"] = check_timeout(checked["timeout_seconds"])
    if checked["missed_policy"] not in (MISSED_RUN_ONCE, MISSED_SKIP):
        raise InvalidInputError(
            f"missed_policy must be {MISSED_RUN_ONCE!r} or {MISSED_SKIP!r}, "
            f"got {checked['missed_policy']!r}.",
            field="missed_policy",
        )
    checked["name"] = str(checked["name"] or PurePosixPath(path).stem)[:200]
    checked["paused"] = bool(checked["paused"])
    checked["output_html"] = bool(checked["output_html"])
    return checked


def _next_run(job: Job) -> None:
    job.next_run_at = (
        next_times(job.cron, job.timezone, utcnow())[0] if job.cron and not job.paused else None
    )


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"Job {job_id} does not exist. List jobs with `nbtools schedule list`.")
    return job


def list_jobs(session: Session, notebook_path: str | None = None) -> list[Job]:
    query = select(Job).order_by(Job.id)
    if notebook_path is not None:
        query = query.where(Job.notebook_path == notebook_path)
    return list(session.scalars(query))


def create_job(project: Project, fields: dict[str, Any], *, from_text: bool = False) -> Job:
    """Store a new job; nothing is stored if any field is invalid."""
    checked = _checked(project, fields, from_text=from_text)
    with project.store.session(write=True) as session:
        job = Job(**checked)
        _next_run(job)
        session.add(job)
        session.flush()
        return job


def update_job(project: Project, job_id: int, changes: dict[str, Any]) -> Job:
    """Edit a job with typed values; ``parameters``, if given, replace the stored ones."""
    with project.store.session(write=True) as session:
        job = get_job(session, job_id)
        current = {name: getattr(job, name) for name in JOB_FIELDS}
        checked = _checked(project, {**current, **changes}, from_text=False)
        for name, value in checked.items():
            setattr(job, name, value)
        _next_run(job)
        return job


def set_paused(project: Project, job_id: int, paused: bool) -> Job:
    """Pause a job (no new scheduled runs) or resume it from the next due time."""
    with project.store.session(write=True) as session:
        job = get_job(session, job_id)
        job.paused = paused
        _next_run(job)
        return job


def delete_job(project: Project, job_id: int) -> None:
    """Delete a job; its past runs stay in the history (without a job)."""
    with project.store.session(write=True) as session:
        session.delete(get_job(session, job_id))


def job_to_dict(job: Job) -> dict[str, Any]:
    """The wire model of a job (REST and ``--json``)."""
    model = {name: getattr(job, name) for name in JOB_FIELDS}
    from nbtools.jobs.schedules import describe

    return {
        "id": job.id,
        **model,
        "schedule_description": describe(job.cron) if job.cron else None,
        "next_run_at": job.next_run_at,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }
