"""Lineage's subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_started``: the exact bytes the run is about to execute are committed as a notebook
  version by the run's actor (no new one if unchanged; a pinned run's version as it is) and
  pinned to the run (reference ``run <id>``), so ``nbtools version gc`` keeps it while the
  run exists; the environment of the run's kernel is snapshotted (cached while nothing is
  installed, so every run can afford it). Either failing is logged and leaves the run without that column.
  Both are stored on the run as soon as they are recorded (:mod:`nbtools.jobs.events`).
- ``run_finishing``: a run ending without a version on record (its worker was killed between
  pinning the version and storing its id) takes the version its ``run <id>`` reference pins,
  whichever process ends it.
- ``job_saved`` / ``job_deleted``: a job pinned to a version holds the reference
  ``job <id>`` to that version only; a deleted job holds none.
- ``runs_described``: the ``lineage`` model of each run of a page (:mod:`.runs`).
- ``runs_pruned``: a pruned run releases its version (``version gc`` may then collect it
  when nothing else references it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from nbtools.errors import NbtoolsError
from nbtools.lineage.runs import runs_lineage
from nbtools.versioning.tables import version_refs

if TYPE_CHECKING:
    from nbtools.jobs.events import (
        JobDeleted,
        JobSaved,
        RunFinished,
        RunFinishing,
        RunsDescribed,
        RunsPruned,
        RunStarted,
    )
    from nbtools.project import Project

log = logging.getLogger(__name__)

#: The reference kinds of runs and of jobs pinned to a version.
RUN, JOB = "run", "job"


def run_started(event: RunStarted) -> dict[str, Any]:
    """``{"notebook_version_id": …, "env_snapshot_id": …}``, those that could be recorded."""
    return {**_version_of(event), **_environment_of(event)}


def _version_of(event: RunStarted) -> dict[str, int]:
    from nbtools.versioning import commit, pin  # not at import: a page of runs needs neither

    try:
        version_id = event.pinned_version_id
        if version_id is None:
            version = commit(event.project, event.notebook_path, event.content, user=event.actor)
            version_id = version.id
        pin(event.project, version_id, RUN, str(event.run_id))
    except (NbtoolsError, OSError) as error:
        message = error.message if isinstance(error, NbtoolsError) else str(error)
        log.warning("nbtools: run %s has no notebook version: %s", event.run_id, message)
        return {}
    return {"notebook_version_id": version_id}


def _environment_of(event: RunStarted) -> dict[str, str]:
    from nbtools.envsnap import snapshot_kernel  # not at import: a page of runs needs none

    try:
        snapshot = snapshot_kernel(event.project, event.kernel_name)
    except NbtoolsError as error:
        log.warning("nbtools: run %s has no environment snapshot: %s", event.run_id, error.message)
        return {}
    return {"env_snapshot_id": snapshot.id}


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None]:
    return _version_from_pin


def _version_from_pin(done: RunFinished) -> None:
    """Give the ending run the version its ``run <id>`` reference pins, if it names none."""
    from nbtools.jobs.tables import runs_table

    pinned = (
        select(version_refs.c.version_id)
        .where(version_refs.c.kind == RUN, version_refs.c.ref == str(done.run_id))
        .limit(1)
        .scalar_subquery()
    )
    column = runs_table.c
    done.session.execute(
        update(runs_table)
        .where(column.id == done.run_id, column.notebook_version_id.is_(None))
        .values(notebook_version_id=pinned)
    )


def job_saved(event: JobSaved) -> None:
    pin_job(event.project, event.job_id, event.pinned_version_id)


def job_deleted(event: JobDeleted) -> None:
    pin_job(event.project, event.job_id, None)


def pin_job(project: Project, job_id: int, version_id: int | None) -> None:
    """Make job ``job_id`` reference only ``version_id`` (none when it is None)."""
    from nbtools.versioning import pin

    ref = str(job_id)
    if version_id is not None:
        pin(project, version_id, JOB, ref)
    with project.store.session(write=True) as session:
        stale = delete(version_refs).where(version_refs.c.kind == JOB, version_refs.c.ref == ref)
        if version_id is not None:
            stale = stale.where(version_refs.c.version_id != version_id)
        session.execute(stale)


def runs_described(event: RunsDescribed) -> dict[int, dict[str, Any]]:
    return {
        run_id: {"lineage": lineage}
        for run_id, lineage in runs_lineage(event.connection, event.runs).items()
    }


def runs_pruned(event: RunsPruned) -> None:
    refs = [str(run_id) for run_id in event.run_ids]
    with event.project.store.session(write=True) as session:
        session.execute(
            delete(version_refs).where(version_refs.c.kind == RUN, version_refs.c.ref.in_(refs))
        )
