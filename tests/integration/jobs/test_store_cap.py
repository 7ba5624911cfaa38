"""The store-wide cap on running runs holds across schedulers: two scheduler instances (in
two processes) claiming from one store at once never exceed it, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from nbtools.jobs import leases
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import QUEUED, Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory

CAP = 3


def _claim(root: str, db_url: str, rounds: int) -> int:
    """A scheduler's claims, as its ticks make them with 10 free workers: how many it got."""
    project = Project(Path(root), db_url=db_url)
    claimer, got = leases.Claimer(), 0
    try:
        for _ in range(rounds):
            got += len(leases.claim_due(project.store, claimer, utcnow(), 60, 10, None, CAP))
    finally:
        project.close()
    return got


def test_two_schedulers_never_exceed_the_store_cap(
    store_url: str, tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "1", [])])
    project = Project(tmp_path, db_url=store_url)
    for _ in range(12):
        queue_run(project, "nb.ipynb", {})
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(_claim, [(str(tmp_path), store_url, 20)] * 2)
    assert sum(got) == CAP
    with project.store.session() as session:
        claimed = session.scalar(
            select(func.count()).where(Run.status == QUEUED, Run.lease_owner.is_not(None))
        )
        assert claimed == CAP
        assert leases.active_total(session, utcnow()) == CAP
    # A run ending frees a slot for whichever scheduler claims next.
    with project.store.session(write=True) as session:
        first = session.scalars(select(Run).where(Run.lease_owner.is_not(None))).first()
        assert first is not None
        first.status = "succeeded"
    assert _claim(str(tmp_path), store_url, 1) == 1
    project.close()
