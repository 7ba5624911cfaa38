"""Job definitions: create, edit, pause/resume and delete, with every input checked first."""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from nbtools.audit import current_actor
from nbtools.errors import ConflictError, FieldChecks, InvalidInputError, NotFoundError
from nbtools.ids import check_limit
from nbtools.jobs import events, wakeups
from nbtools.jobs.deletion import cancel_queued_of_job, locked_job
from nbtools.jobs.fields import JOB_FIELDS, check_types, checked_fields, is_number
from nbtools.jobs.idempotency import check_key, created_once
from nbtools.jobs.missed import enqueue_due
from nbtools.jobs.pinned import check_pin
from nbtools.jobs.retention import parse_keep_runs
from nbtools.jobs.schedules import next_due
from nbtools.jobs.submit import check_active, check_kernel, check_notebook_job
from nbtools.jobs.tables import Job
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.project import Project

#: The fields that say when a job runs: changing one settles the due times of the schedule it
#: had (:func:`_settle`) and reckons the next one from now; any other edit keeps them due.
SCHEDULE_FIELDS = frozenset({"cron", "timezone", "paused"})

#: Said of an edit's parameters refused when the edit changes the version the job is pinned to.
_PIN_NOTE = (
    "The job's parameters were checked against the notebook version it is pinned to; change "
    "them together with the pin."
)


def _unique_name(session: Session, name: str | None, notebook_path: str, job_id: int | None) -> str:
    """The job's name: ``name`` (checked, :func:`~nbtools.jobs.fields.check_name`) if no
    other job has it (else 409 naming the field); without one, the notebook's name (its file
    name if the name is a number: the CLI reads a number as a job's id), numbered
    (``report 2``) if another job has it already."""
    others = set(session.scalars(select(Job.name).where(Job.id != job_id)))
    if name is not None:
        if name in others:
            raise ConflictError(
                f"Another job is named {name!r}: choose another name.", field="name", name=name
            )
        return name
    path = PurePosixPath(notebook_path)
    stem = (path.name if is_number(path.stem) else path.stem)[:190]
    candidate, number = stem, 1
    while candidate in others:
        number += 1
        candidate = f"{stem} {number}"
    return candidate


def _check_use(project: Project, fields: dict[str, Any], actor: str | None, during: str) -> None:
    """Let run-event subscribers refuse the job (the data usage rule), before any write
    transaction: a refusal is audited in a transaction of its own. The fields the subscribers
    read are checked first (an edit's changes are not checked yet)."""
    with FieldChecks() as checks:
        check_types(fields, checks)
    events.run_requested(
        events.RunRequested(
            project,
            fields["notebook_path"],
            fields.get("purpose") or None,
            pinned_version_id=check_pin(fields.get("pinned_version_id")),
            actor=actor,
            during=during,
        )
    )


def _next_run(job: Job, now: datetime) -> None:
    """The job's next due time after ``now``; None when paused, on demand, or when its
    schedule has no time left before the year 10000 (its model says why)."""
    job.next_run_at = next_due(job.cron, job.timezone, now) if job.cron and not job.paused else None


def _settle(session: Session, job: Job, stopped: str | None, now: datetime) -> None:
    """Before ``job``'s schedule changes (its cron, timezone, or whether it runs at all: then
    ``stopped`` says how it stops, ``paused``, ``archived`` or ``deleted``), settle what the
    schedule it had made due up to ``now`` (missed while no scheduler ran, or due a moment
    ago), as a scheduler's tick would have: by its missed-runs policy, or, when it stops,
    dropped and recorded as skipped. Runs it queues wake the schedulers."""
    if enqueue_due(session, job, now, stopped=stopped):
        wakeups.announce(session)


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise _not_found(f"Job {job_id} does not exist.", job_id=job_id)
    return job


def _not_found(message: str, **details: Any) -> NotFoundError:
    return NotFoundError(f"{message} List jobs with `nbtools schedule list`.", **details)


def find_job(session: Session, ref: str) -> Job:
    """The job ``ref`` stands for on the command line: its id or its name.

    A whole number is an id (or, if no job has that id, a name). Names need not be unique:
    a name several jobs share is refused with their ids.
    """
    job_id = int(ref) if ref.isascii() and ref.isdigit() and len(ref) < 10 else None
    if job_id is not None and (job := session.get(Job, job_id)) is not None:
        return job
    named = list(session.scalars(select(Job).where(Job.name == ref).order_by(Job.id)))
    if len(named) == 1:
        return named[0]
    if named:
        ids = [job.id for job in named]
        raise InvalidInputError(
            f"{len(ids)} jobs are named {ref!r} (ids {', '.join(map(str, ids))}); "
            "give the job's id instead.",
            name=ref,
            job_ids=ids,
        )
    if job_id is not None:
        raise _not_found(f"Job {job_id} does not exist.", job_id=job_id)
    raise _not_found(f"No job is named {ref!r}.{_did_you_mean(session, ref)}", name=ref)


def _did_you_mean(session: Session, ref: str) -> str:
    from difflib import get_close_matches

    names = {name.casefold(): name for name in session.scalars(select(Job.name).distinct())}
    close = get_close_matches(ref.casefold(), names, n=3, cutoff=0.7)
    return f" Did you mean {' or '.join(repr(names[name]) for name in close)}?" if close else ""


def list_jobs(
    session: Session,
    notebook_path: str | None = None,
    *,
    archived: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[Job]:
    """Jobs by id; archived ones only with ``archived`` (then all are listed); ``limit`` of
    them after the first ``offset`` (None: all; else 1 to :data:`~nbtools.ids.MAX_LIST`)."""
    if offset < 0:
        raise InvalidInputError("The offset must be 0 or more.", field="offset")
    if limit is not None:
        check_limit(limit)
    query = select(Job).where(*_filters(notebook_path, archived))
    return list(session.scalars(query.order_by(Job.id).offset(offset).limit(limit)))


def count_jobs(
    session: Session, notebook_path: str | None = None, *, archived: bool = False
) -> int:
    """How many jobs :func:`list_jobs` lists with these filters on no page (one count)."""
    query = select(func.count(Job.id)).where(*_filters(notebook_path, archived))
    return int(session.execute(query).scalar_one())


def _filters(notebook_path: str | None, archived: bool) -> list[ColumnElement[bool]]:
    """The conditions of the jobs :func:`list_jobs` lists: active ones (all with
    ``archived``), of ``notebook_path`` if given."""
    conditions: list[ColumnElement[bool]] = [] if archived else [Job.archived_at.is_(None)]
    if notebook_path is not None:
        conditions.append(Job.notebook_path == notebook_path)
    return conditions


def create_job(
    project: Project,
    fields: dict[str, Any],
    *,
    from_text: bool = False,
    idempotency_key: str | None = None,
    actor: str | None = None,
    kernel_check: bool = True,
) -> Job:
    """Store a new job, created by ``actor`` (default: see :func:`~nbtools.audit.current_actor`);
    nothing is stored if any field is invalid, or if its ``kernel_name`` is not installed on
    this machine unless ``kernel_check`` is off (:func:`~nbtools.jobs.submit.check_kernel`).

    A second job with the same ``idempotency_key`` is refused (:mod:`~nbtools.jobs.idempotency`).
    """
    checked = checked_fields(project, fields, from_text=from_text)
    if kernel_check and checked["kernel_name"] is not None:
        check_kernel(checked["kernel_name"], here=False)
    _check_use(project, checked, actor, "job.create")
    key = check_key(idempotency_key)
    with created_once(project.store, Job, key), project.store.session(write=True) as session:
        checked["name"] = _unique_name(session, checked["name"], checked["notebook_path"], None)
        job = Job(**checked, idempotency_key=key, created_by=current_actor(actor))
        _next_run(job, utcnow())
        session.add(job)
        session.flush()
    events.job_saved(
        events.JobSaved(project, job.id, job.pinned_version_id, actor, action="job.create")
    )
    return job


def _checked_edit(
    project: Project, current: dict[str, Any], changes: dict[str, Any], pinned: int | None
) -> dict[str, Any]:
    """The job's fields after ``changes``, validated (before any event sees them)."""
    return checked_fields(
        project,
        {**current, **changes},
        from_text=False,
        kept_zone=None if "timezone" in changes else current["timezone"],
        kept_name=current["name"],
        pin_note=_PIN_NOTE if "pinned_version_id" in changes and pinned is not None else "",
        given=[name for name in changes if changes[name] != current.get(name)],
    )


def _checked_service_edit(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A service's job after ``changes`` (of :data:`~nbtools.jobs.submit.SERVICE_FIELDS`
    only), validated."""
    checked = {**current, **changes}
    with FieldChecks() as checks:
        check_types(changes, checks)
        with checks.field():
            checked["keep_runs"] = parse_keep_runs(checked["keep_runs"])
    checked["paused"] = bool(checked["paused"])
    return checked


def update_job(
    project: Project,
    job_id: int,
    changes: dict[str, Any],
    actor: str | None = None,
    *,
    kernel_check: bool = True,
) -> Job:
    """Edit a job with typed values; ``parameters``, if given, replace the stored ones.
    Audited as ``job.edit`` by ``actor``, naming the fields whose values changed. A new
    ``kernel_name`` is checked as :func:`create_job` checks it. The next due time stays unless
    a :data:`SCHEDULE_FIELDS` field changes: then the old schedule's due times are settled
    first (:func:`_settle`)."""
    with project.store.session() as session:
        job = check_active(get_job(session, job_id))
        before = {name: getattr(job, name) for name in JOB_FIELDS}
        edited = [name for name in changes if changes[name] != before.get(name)]
        service = check_notebook_job(job, edited).service
    if service:  # what a service's job may change needs no notebook (it may have none here)
        checked = _checked_service_edit(before, {name: changes[name] for name in edited})
    else:
        checked = _checked_edit(project, before, changes, before["pinned_version_id"])
        kernel = checked["kernel_name"]
        if kernel_check and kernel is not None and kernel != before["kernel_name"]:
            check_kernel(kernel, here=False)
        _check_use(project, checked, actor, "job.edit")
    with project.store.session(write=True) as session:
        job = check_active(get_job(session, job_id))
        current = {name: getattr(job, name) for name in JOB_FIELDS}
        if "name" in changes and checked["name"] != job.name:
            checked["name"] = _unique_name(session, checked["name"], job.notebook_path, job.id)
        else:
            checked["name"] = job.name
        changed = tuple(name for name, value in checked.items() if current[name] != value)
        now, rescheduled = utcnow(), not SCHEDULE_FIELDS.isdisjoint(changed)
        if rescheduled:
            _settle(session, job, "paused" if checked["paused"] else None, now)
        for name, value in checked.items():
            setattr(job, name, value)
        if rescheduled:  # else due times missed so far stay due
            _next_run(job, now)
    events.job_saved(
        events.JobSaved(project, job.id, job.pinned_version_id, actor, changed=changed)
    )
    return job


def set_paused(project: Project, job_id: int, paused: bool, actor: str | None = None) -> Job:
    """Pause a job (no new scheduled runs; the due times it missed are recorded as skipped) or
    resume it from the next due time; audited as ``job.pause`` or ``job.resume`` by ``actor``.
    A job already so is left as it is, and nothing is audited."""
    with project.store.session(write=True) as session:
        job = check_active(get_job(session, job_id))
        if job.paused == paused:
            return job
        now = utcnow()
        _settle(session, job, "paused" if paused else None, now)
        job.paused = paused
        _next_run(job, now)
    action = "job.pause" if paused else "job.resume"
    events.job_saved(
        events.JobSaved(
            project, job.id, job.pinned_version_id, actor, action=action, changed=("paused",)
        )
    )
    return job


def delete_job(
    project: Project, job_id: int, *, purge: bool = False, actor: str | None = None
) -> list[int]:
    """Archive a job: it is hidden from lists and never runs again, and its runs, metrics,
    alert rules and alerts stay readable under its id (its pin on a notebook version is
    released: the runs keep theirs). Deleting it again needs ``purge``.

    With ``purge`` the job is deleted: its past runs stay in the history (without a job),
    with their metrics; the database deletes its alert rules, alerts, notification targets
    and outbox (foreign keys ON DELETE CASCADE, see :mod:`nbtools.metrics.tables`).

    Either way the due times it missed (no scheduler ran since) are recorded as one
    ``skipped`` run, as pausing records them (:func:`_settle`), and its queued runs end
    ``cancelled`` in the transaction that deletes it (:mod:`nbtools.jobs.deletion`): a
    scheduler that claimed one cannot start it once that commits. Returns their ids.

    Audited as ``job.archive`` or ``job.delete`` by ``actor``."""
    with project.store.session(write=True) as session:
        # locked first: a retry or a run being made for it meanwhile waits, then sees it gone
        job = locked_job(session, job_id, update=True)
        if job is None:
            raise _not_found(f"Job {job_id} does not exist.", job_id=job_id)
        if not purge:
            check_active(job)
        now = utcnow()
        _settle(session, job, "deleted" if purge else "archived", now)
        cancelled = cancel_queued_of_job(session, job_id, now)
        if purge:
            session.delete(job)
        else:
            job.archived_at, job.paused, job.next_run_at = now, True, None
    events.job_deleted(events.JobDeleted(project, job_id, actor, purge, tuple(cancelled)))
    return cancelled
