"""Queueing a run of a notebook: its path and parameters checked before anything is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from nbtools.audit import current_actor
from nbtools.errors import (
    ConflictError,
    HiddenPathError,
    InvalidInputError,
    NbtoolsError,
    NotFoundError,
)
from nbtools.ids import MAX_INT_COLUMN
from nbtools.jobs import events, wakeups
from nbtools.jobs.deletion import locked_job
from nbtools.jobs.idempotency import check_key, created_once
from nbtools.jobs.leases import LEASE_SECONDS
from nbtools.jobs.parameters import notebook_values
from nbtools.jobs.runs import new_run
from nbtools.jobs.tables import Run
from nbtools.jsonvalues import shown
from nbtools.kernels import run_kernel
from nbtools.notebooks import kernel_name as kernel_name_of
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.jobs.tables import Job
    from nbtools.notebooks import Notebook
    from nbtools.project import Project


def checked_parameters(
    project: Project,
    notebook_path: str,
    values: dict[str, Any],
    *,
    from_text: bool = False,
    pinned_version_id: int | None = None,
) -> dict[str, Any]:
    """Read the notebook now (or its pinned version) and return ``values`` typed by its
    declared parameters."""
    nb = _notebook(project, notebook_path, pinned_version_id)
    return notebook_values(nb, notebook_path, values, from_text=from_text)


def check_kernel(name: str, *, here: bool, notebook: str | None = None) -> None:
    """Refuse kernel ``name`` unless it is installed on this machine: a
    :class:`~nbtools.errors.NotFoundError` naming the field ``kernel_name`` and listing the
    installed kernels (``details["kernels"]``), before anything is stored.

    ``here``: this process executes the run, so the kernel must be here. Otherwise a scheduler
    executes it, maybe on another machine: the message says that the check can be turned off
    for a kernel installed only there (``details["kernel_check"]`` is true: the field of the
    request that turns it off). ``notebook``: the name is that notebook's own (its
    ``metadata.kernelspec.name``), which the message says, with how to choose another.
    """
    from nbtools.envsnap.kernels import find_kernel

    try:
        find_kernel(name)
    except NbtoolsError as error:  # not installed, or its spec file is invalid
        details = {**error.details, "field": "kernel_name"}
        if notebook is not None:
            error.message += (
                f" The name is {notebook}'s own (its metadata.kernelspec.name): give the run "
                "another kernel, or change the notebook's kernel."
            )
        if here:
            raise type(error)(error.message, **details) from None
        raise type(error)(
            f"{error.message} If it is installed where the scheduler executes the runs, turn "
            "the kernel check off.",
            **details,
            kernel_check=True,
        ) from None


def _notebook(project: Project, notebook_path: str, pinned_version_id: int | None) -> Notebook:
    """The notebook a run of ``notebook_path`` executes: its pinned version, or the file now."""
    if not notebook_path.endswith(".ipynb"):
        raise InvalidInputError(
            f"{notebook_path!r} is not a notebook: give a path ending in .ipynb.",
            path=notebook_path,
        )
    if pinned_version_id is not None:
        from nbtools.jobs.pinned import pinned_notebook

        return pinned_notebook(project, notebook_path, pinned_version_id)
    try:
        return project.read_notebook(notebook_path, field="notebook_path")
    except HiddenPathError:
        raise  # in the store directory: said so, not "does not exist"
    except NotFoundError:
        meant = project.closest_notebook(notebook_path)
        hint = f" Did you mean {meant!r}?" if meant else ""
        raise NotFoundError(
            f"Notebook {notebook_path!r} does not exist: nothing was created.{hint}",
            path=notebook_path,
            **({"did_you_mean": meant} if meant else {}),
        ) from None


def check_timeout(timeout_seconds: Any, name: str = "timeout_seconds") -> int | None:
    """A whole run's or one cell's timeout: None, or a positive whole number of seconds up to
    what its ``Integer`` column holds (about 68 years)."""
    if timeout_seconds is not None and (
        type(timeout_seconds) is not int or not 0 < timeout_seconds <= MAX_INT_COLUMN
    ):
        raise InvalidInputError(
            f"{name} must be a positive whole number of seconds (at most {MAX_INT_COLUMN}), "
            f"got {shown(timeout_seconds)}.",
            field=name,
            **{name: timeout_seconds},
        )
    return timeout_seconds


def check_active(job: Job) -> Job:
    """``job``, unless it is archived: an archived job is read-only."""
    if job.archived_at is not None:
        raise ConflictError(
            f"Job {job.id} was deleted (archived {job.archived_at:%Y-%m-%d %H:%M} UTC): it "
            "cannot be edited or run. Its runs, metrics and alerts stay readable; purging it "
            "deletes the job with its alert rules and alerts, and keeps its runs without a job.",
            job_id=job.id,
        )
    return job


#: What may be changed on a service's job: how long its minutes are kept (and, through
#: pausing, whether its ``late`` rules watch it).
SERVICE_FIELDS = ("keep_runs", "paused")


def check_notebook_job(job: Job, changed: Sequence[str] | None = None) -> Job:
    """``job``, unless it is a service's (``service``: its runs are a served package's
    minutes of traffic) and is to run a notebook (``changed`` None) or to change fields
    other than :data:`SERVICE_FIELDS`: a run or a schedule would mix notebook runs into the
    service's series, and satisfy its ``late`` rules while it serves nothing."""
    if not job.service:
        return job
    what = f"Job {job.id} ({job.name}) records the traffic of a served package: its runs are "
    if changed is None:
        raise ConflictError(
            what + "the service's minutes, so it runs no notebook. Run the notebook by "
            "itself, or in a job of its own.",
            job_id=job.id,
            service=True,
        )
    refused = [name for name in changed if name not in SERVICE_FIELDS]
    if refused:
        raise ConflictError(
            what + f"the service's minutes, and it is never scheduled: its {', '.join(refused)} "
            f"cannot be set. Only how long its runs are kept (keep_runs) can change, and it "
            "can be paused.",
            field=refused[0],
            fields=refused,
            job_id=job.id,
            service=True,
        )
    return job


def queue_run(
    project: Project,
    notebook_path: str,
    values: dict[str, Any],
    *,
    job: Job | None = None,
    trigger: str = "manual",
    from_text: bool = False,
    kernel_name: str | None = None,
    timeout_seconds: int | None = None,
    cell_timeout_seconds: int | None = None,
    output_html: bool = False,
    pinned_version_id: int | None = None,
    reproduce_of: int | None = None,
    claim: str | None = None,
    purpose: str | None = None,
    idempotency_key: str | None = None,
    actor: str | None = None,
    kernel_check: bool = False,
) -> Run:
    """Store a queued run of ``notebook_path`` (or of ``job``) after checking its inputs.

    The run executes ``pinned_version_id`` (default: the job's pinned version) instead of the
    file on disk when given. With ``claim`` the run is queued under that claim token, so no
    scheduler takes it: the caller executes it itself, so the kernel it starts must be
    installed here (:func:`check_kernel`); without one, ``kernel_check`` checks a
    ``kernel_name`` given. A second run with the same ``idempotency_key`` is refused
    (:mod:`nbtools.jobs.idempotency`). ``actor`` is who starts it (default: see
    :func:`~nbtools.audit.current_actor`).
    """
    key = check_key(idempotency_key)
    if pinned_version_id is None and job is not None:
        pinned_version_id = job.pinned_version_id
    if job is not None:
        purpose = job.purpose
    parameters, nb = _checked_request(
        project,
        notebook_path,
        values,
        job,
        pinned_version_id,
        purpose,
        actor,
        "run.submit",
        from_text,
    )
    if claim is not None:
        own = None if kernel_name or not kernel_name_of(nb) else notebook_path
        check_kernel(run_kernel(kernel_name, nb), here=True, notebook=own)
    elif kernel_check and kernel_name is not None:
        check_kernel(kernel_name, here=False)
    fields: dict[str, Any] = {
        "trigger": trigger,
        "parameters": parameters,
        "pinned_version_id": pinned_version_id,
        "reproduce_of": reproduce_of,
        "created_by": current_actor(actor),
    }
    if claim is not None:
        fields.update(
            lease_owner=claim, lease_expires_at=utcnow() + timedelta(seconds=LEASE_SECONDS)
        )
    if job is None:
        fields.update(
            notebook_path=notebook_path,
            kernel_name=kernel_name,
            timeout_seconds=check_timeout(timeout_seconds),
            cell_timeout_seconds=check_timeout(cell_timeout_seconds, "cell_timeout_seconds"),
            output_html=output_html,
            purpose=purpose or None,
        )
    return _store_queued(project, job, fields, key, announce=claim is None, actor=actor)


def queue_rerun(project: Project, run_id: int, actor: str | None = None) -> Run:
    """Queue a new run of run ``run_id``'s notebook with its parameters, pinned version,
    kernel, timeouts, HTML report and purpose, started by ``actor`` and checked as any new
    run is: its job not archived, the notebook (or its pinned version) still there and still
    declaring those parameters, and the data catalog's usage rule."""
    from nbtools.jobs.runs import get_run
    from nbtools.jobs.tables import Job

    with project.store.session() as session:
        original = get_run(session, run_id)
        job = session.get(Job, original.job_id) if original.job_id is not None else None
    parameters, _nb = _checked_request(
        project,
        original.notebook_path,
        dict(original.parameters),
        job,
        original.pinned_version_id,
        original.purpose,
        actor,
        "run.rerun",
    )
    fields: dict[str, Any] = {
        "trigger": "rerun",
        "notebook_path": original.notebook_path,
        "parameters": parameters,
        "kernel_name": original.kernel_name,
        "timeout_seconds": original.timeout_seconds,
        "cell_timeout_seconds": original.cell_timeout_seconds,
        "output_html": original.output_html,
        "pinned_version_id": original.pinned_version_id,
        "created_by": current_actor(actor),
        "purpose": original.purpose,
    }
    return _store_queued(project, job, fields, None, announce=True, actor=actor)


def _checked_request(
    project: Project,
    notebook_path: str,
    values: dict[str, Any],
    job: Job | None,
    pinned_version_id: int | None,
    purpose: str | None,
    actor: str | None,
    during: str,
    from_text: bool = False,
) -> tuple[dict[str, Any], Notebook]:
    """The run's typed parameters and the notebook it executes, once its job is active, its
    notebook read and the data usage rule has allowed ``purpose`` (subscribers of
    ``run_requested`` refuse by raising)."""
    if job is not None:
        check_notebook_job(check_active(job))
    nb = _notebook(project, notebook_path, pinned_version_id)
    parameters = notebook_values(nb, notebook_path, values, from_text=from_text)
    events.run_requested(
        events.RunRequested(
            project,
            notebook_path,
            purpose or None,
            pinned_version_id=pinned_version_id,
            actor=actor,
            during=during,
        )
    )
    return parameters, nb


def _store_queued(
    project: Project,
    job: Job | None,
    fields: dict[str, Any],
    key: str | None,
    *,
    announce: bool,
    actor: str | None,
) -> Run:
    """Insert the queued run (once per idempotency ``key``), wake the schedulers if
    ``announce``, and tell the ``run_queued`` subscribers (the audit trail)."""
    with created_once(project.store, Run, key), project.store.session(write=True) as session:
        if job is not None:  # deleted since it was checked: refused, as it is then
            current = locked_job(session, job.id)
            if current is None:
                raise NotFoundError(f"Job {job.id} does not exist.", job_id=job.id)
            job = check_active(current)
        run = new_run(job, idempotency_key=key, **fields)
        session.add(run)
        session.flush()
        if announce:  # a claimed run is executed by its claimer, not by a scheduler
            wakeups.announce(session)
        events.run_queued(
            events.RunQueued(
                session, run.id, actor, fields["trigger"], run.notebook_path, run.job_id
            )
        )
    return run
