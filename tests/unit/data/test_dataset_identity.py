"""A dataset's identity (``uid``), which a run's use names: a store from before identities
(the revision before ``retention_0002``) gives each dataset one, and each use the identity of
the dataset catalogued under its name when that one was catalogued before the run started,
none otherwise; retention then joins by identity. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from nbtools.data.catalog import add_dataset, dataset_spec, get_dataset
from nbtools.data.tables import DatasetRecord, RunDatasetRecord
from nbtools.jobs.retention import prune_runs
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.store.base import utcnow

NOW = utcnow()


def add_run(project: Project, days_ago: int, dataset: str) -> int:
    """A run that started and ended ``days_ago`` having read ``dataset`` (by name only)."""
    moment = NOW - timedelta(days=days_ago)
    with project.store.session(write=True) as session:
        run = Run(trigger="manual", notebook_path="nb.ipynb", status="succeeded",
                  created_at=moment, started_at=moment, finished_at=moment)  # fmt: skip
        session.add(run)
        session.flush()
        session.add(RunDatasetRecord(run_id=run.id, dataset=dataset, mode="read",
                                     classification="personal", location="people.csv"))  # fmt: skip
        return int(run.id)


def test_an_older_store_gets_identities_and_its_uses_the_dataset_they_used(
    catalog_project: Project,
) -> None:
    from alembic import command

    from nbtools.store import migrations

    project = catalog_project
    for name in ("people", "other"):
        (project.root / f"{name}.csv").write_text("id\n1\n")
        spec = {"location": f"{name}.csv", "classification": "personal", "retention": "3d"}
        add_dataset(project, dataset_spec(project, name, spec))
    before = add_run(project, 10, "people")  # read the "people" removed 5 days ago
    after = add_run(project, 4, "people")  # read the one catalogued again then
    gone = add_run(project, 4, "gone")  # read a dataset no longer catalogued
    engine = project.store.engine
    command.downgrade(migrations._config(engine), "erasure_0001")
    with engine.begin() as connection:
        connection.execute(
            update(DatasetRecord.__table__)
            .where(DatasetRecord.name == "people")
            .values(created_at=NOW - timedelta(days=5))
        )
    migrations.upgrade(engine)

    uids = {name: get_dataset(project, name).uid for name in ("people", "other")}
    assert all(re.fullmatch(r"[0-9a-f]{32}", uid) for uid in uids.values())
    assert uids["people"] != uids["other"]
    with project.store.session() as session:
        used = dict(
            session.execute(select(RunDatasetRecord.run_id, RunDatasetRecord.dataset_uid)).all()
        )
    assert used == {before: None, after: uids["people"], gone: None}
    expired = prune_runs(project, dry_run=True, now=NOW).expired
    assert expired == {after: "retention of people (3d)"}
