"""The environment a notebook last ran successfully in: the baseline of its drift check.

A notebook's "production environment" is the snapshot recorded by its newest succeeded run
that has one, whatever started it (a schedule, the Jobs panel, ``nbtools run``, a rerun or a
reproduction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools.errors import NotFoundError
from nbtools.jsonvalues import WireModel

if TYPE_CHECKING:
    from nbtools.jobs import RunSummary
    from nbtools.jobs.tables import Run
    from nbtools.project import Project


@dataclass(frozen=True)
class ProductionEnvironment(WireModel):
    """A notebook's last good run and its snapshot's summary; both None while there is none
    (a notebook not run yet is a normal state, not an error)."""

    run: RunSummary | None
    snapshot: dict[str, Any] | None


def last_successful_run(project: Project, notebook_path: str) -> Run:
    """The newest succeeded run of ``notebook_path`` with an environment snapshot."""
    from sqlalchemy import select

    from nbtools.jobs.tables import SUCCEEDED, Run

    with project.store.session() as session:
        run = session.scalars(
            select(Run)
            .where(
                Run.notebook_path == notebook_path,
                Run.status == SUCCEEDED,
                Run.env_snapshot_id.is_not(None),
            )
            .order_by(Run.finished_at.desc(), Run.id.desc())
            .limit(1)
        ).first()
    if run is None:
        raise NotFoundError(
            f"No successful run of {notebook_path} recorded an environment yet: run it "
            f"(`nbtools run {notebook_path}`) or compare with a snapshot of your choice.",
            path=notebook_path,
        )
    return run


def production_environment(project: Project, notebook_path: str) -> ProductionEnvironment:
    """The environment of ``notebook_path``'s last good run (see :class:`ProductionEnvironment`)."""
    from nbtools.envsnap import get_snapshot
    from nbtools.jobs import summarize_runs

    try:
        run = last_successful_run(project, notebook_path)
    except NotFoundError:
        return ProductionEnvironment(None, None)
    assert run.env_snapshot_id is not None
    snapshot = get_snapshot(project, run.env_snapshot_id)
    [summary] = summarize_runs(project, [run])
    return ProductionEnvironment(summary, snapshot.summary())
