"""The artifacts the store knows: per run, one by name, and the one ``load`` means."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import bindparam, select

from nbtools.artifacts.names import check_name
from nbtools.artifacts.tables import run_artifacts
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.jobs.runs import get_run
from nbtools.jobs.tables import SUCCEEDED

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.jobs.models import Job, Run
    from nbtools.project import Project


@dataclass(frozen=True)
class Artifact:
    """A file a run kept: its name, size, digest and stored location (path or URL)."""

    run_id: int
    name: str
    size: int
    sha256: str
    location: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The wire model (REST, ``--json`` and the run model's ``artifacts``)."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "location": self.location,
            "created_at": self.created_at,
        }


def runs_artifacts(connection: Connection, run_ids: Sequence[int]) -> dict[int, list[Artifact]]:
    """Run id → its artifacts by name (one query for the page, in SQLAlchemy Core: a page of
    runs is described without ORM objects)."""
    found: dict[int, list[Artifact]] = {run_id: [] for run_id in run_ids}
    table = run_artifacts.c
    query = (  # an expanding parameter: a page's 1000 ids are not coerced one by one
        select(table.run_id, table.name, table.size, table.sha256, table.location, table.created_at)
        .where(table.run_id.in_(bindparam("run_ids", expanding=True)))
        .order_by(table.run_id, table.name)
    )
    for row in connection.execute(query, {"run_ids": list(run_ids)}):
        found[row.run_id].append(Artifact(*row))
    return found


def list_artifacts(project: Project, run_id: int) -> list[Artifact]:
    """The artifacts of run ``run_id`` (:class:`NotFoundError` if there is no such run)."""
    with project.store.session() as session:
        get_run(session, run_id)
        return runs_artifacts(session.connection(), [run_id])[run_id]


def get_artifact(project: Project, run_id: int, name: str) -> Artifact:
    """Artifact ``name`` of run ``run_id``; not found names the run's artifacts."""
    check_name(name)
    return _named(list_artifacts(project, run_id), run_id, name)


def open_artifact(artifact: Artifact) -> BinaryIO:
    """``artifact``'s stored file (local or at its storage URL), opened for reading (close it)."""
    from nbtools.jobs.storage import open_file

    return open_file(artifact.location)


def find_artifact(
    project: Project, name: str, *, job: str | int | None = None, run: int | None = None
) -> Artifact:
    """Artifact ``name`` of ``run``, or of the latest succeeded run of ``job`` (its id or
    name). With both, the run must be one of the job's. Only succeeded runs count: a run that
    failed may have kept half of what it meant to."""
    check_name(name)
    if job is None and run is None:
        raise InvalidInputError(
            "Say which run's artifact to load: job='NAME' (its latest succeeded run) or run=ID.",
            field="job",
        )
    if run is not None and (isinstance(run, bool) or not isinstance(run, int) or run < 1):
        raise InvalidInputError(
            f"run must be a run id (a positive integer), not {run!r}.", field="run"
        )
    from nbtools.jobs.definitions import find_job  # not at import: a page of runs needs none

    with project.store.session() as session:
        owner = find_job(session, str(job)) if job is not None else None
        chosen = _pinned(session, run, owner) if run is not None else _latest(session, owner)
        return _named(runs_artifacts(session.connection(), [chosen.id])[chosen.id], chosen.id, name)


def _pinned(session: Session, run_id: int, job: Job | None) -> Run:
    run = get_run(session, run_id)
    if job is not None and run.job_id != job.id:
        raise InvalidInputError(
            f"Run {run_id} is not a run of job {job.name!r} (id {job.id}).", field="run"
        )
    if run.status != SUCCEEDED:
        raise NotFoundError(
            f"Run {run_id} has not succeeded ({run.status}): only a succeeded run's artifacts "
            f"load. Download it with `GET /nbtools/api/runs/{run_id}/artifacts/NAME` to look "
            "at it anyway.",
            run=run_id,
            status=run.status,
        )
    return run


def _latest(session: Session, job: Job | None) -> Run:
    from nbtools.jobs.models import Run

    assert job is not None
    run = session.scalars(
        select(Run)
        .where(
            Run.job_id == job.id,
            Run.status == SUCCEEDED,
            Run.pruned_at.is_(None),
            Run.purged_at.is_(None),
        )
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise NotFoundError(
            f"Job {job.name!r} (id {job.id}) has no succeeded run yet; its runs: "
            f"`nbtools runs list --job {job.id}`.",
            job=job.id,
        )
    return run


def _named(artifacts: list[Artifact], run_id: int, name: str) -> Artifact:
    for artifact in artifacts:
        if artifact.name == name:
            return artifact
    names = [artifact.name for artifact in artifacts]
    kept = f"it kept {', '.join(names)}" if names else "it kept none"
    raise NotFoundError(
        f"Run {run_id} has no artifact {name!r}; {kept}.", run=run_id, name=name, available=names
    )
