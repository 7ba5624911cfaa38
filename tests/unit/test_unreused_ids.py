"""A deleted job's, run's, alert rule's or notification target's id is never given to a new
one: on SQLite a plain ``INTEGER PRIMARY KEY`` took the largest id plus one, so the next job
after the newest was purged got its id (a stale tab's ``DELETE /jobs/16`` and the audit
trail's ``job 16`` then meant another job); PostgreSQL's sequences never did."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from nbtools import jobs, metrics
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import Store, create_store_engine
from tests.conftest import NotebookFactory


def test_a_purged_job_run_rule_or_target_id_is_never_reused(
    db_url: str, tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=db_url)
    try:
        first = made(project)
        metrics.remove_rule(project, first["rule"])
        metrics.remove_target(project, first["target"])
        jobs.delete_job(project, first["job"], purge=True)
        again = made(project)
    finally:
        project.close()
    for kind, id_ in again.items():
        assert id_ > first[kind], kind


def made(project: Project) -> dict[str, int]:
    """The ids of a new job, a run of it, an alert rule and a notification target of it."""
    job = jobs.create_job(project, {"notebook_path": "nb.ipynb", "name": "arch", "paused": True})
    return {
        "job": job.id,
        "run": jobs.run_job(project, job.id, {}).id,
        "rule": metrics.add_rule(project, job.id, "accuracy < 0.9").id,
        "target": metrics.add_target(
            project, job.id, "webhook", "https://hooks.example/x", ["failure"]
        ).id,
    }


def test_a_sqlite_store_of_an_older_version_keeps_its_rows_and_then_reuses_no_id(
    tmp_path: Path,
) -> None:
    """The migration rebuilds the tables with their rows, and their largest ids are kept."""
    url = f"sqlite:///{tmp_path / 'nbtools.db'}"
    engine = create_store_engine(url)
    for revision in sorted(set(migrations.head_revisions()) - {"jobs_0002", "metrics_0006"}):
        migrations.upgrade(engine, revision)
    migrations.upgrade(engine, "metrics_0005")
    with engine.begin() as connection:
        for name in ("job 1", "job 2", "job 3"):
            connection.execute(INSERT_JOB, {"name": name})
    engine.dispose()
    store = Store.open(url, lock_dir=tmp_path)
    try:
        with store.connection(write=True) as connection:
            assert connection.execute(text("SELECT id, name FROM jobs")).all() == [
                (1, "job 1"),
                (2, "job 2"),
                (3, "job 3"),
            ]
            connection.execute(text("DELETE FROM jobs WHERE id = 3"))
            connection.execute(INSERT_JOB, {"name": "new"})
            assert connection.scalar(text("SELECT id FROM jobs WHERE name = 'new'")) == 4
    finally:
        store.close()


#: A job as an older version stored it, its id the database's choice.
INSERT_JOB = text(
    "INSERT INTO jobs (name, notebook_path, parameters, timezone, paused, retries, "
    "retry_backoff_seconds, max_concurrent, output_html, missed_policy, created_at, updated_at) "
    "VALUES (:name, 'nb.ipynb', '{}', 'UTC', 1, 0, 60, 1, 0, 'run_once', '2026-12-01', "
    "'2026-12-01')"
)
