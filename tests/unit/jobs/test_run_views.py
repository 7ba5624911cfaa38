"""Wire models of jobs and runs: a job's every field; runs a page at a time, with a fixed
number of queries whatever the page's size."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select

from nbtools import audit, jobs, versioning
from nbtools.envsnap.model import Snapshot
from nbtools.envsnap.snapshots import save_snapshot
from nbtools.errors import InvalidInputError
from nbtools.jobs.definitions import JOB_FIELDS
from nbtools.jobs.runs import new_run
from nbtools.jobs.tables import FAILED, SKIPPED, SUCCEEDED, Run
from nbtools.jobs.views import JobSpec
from nbtools.jsonvalues import dumps, json_default
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory, make_notebook, nbtools


@contextmanager
def counted(project: Project) -> Iterator[list[str]]:
    """The SQL statements the store's real engine executes inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(project.store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(project.store.engine, "before_cursor_execute", count)


def seed(project: Project, count: int) -> tuple[int, str]:
    """``count`` finished runs: every other one with a stored version and snapshot, the
    others with ids the store no longer has. Returns the version and snapshot ids."""
    content = json.dumps(make_notebook([("code", "x = 1", [])])).encode()
    version = versioning.commit(project, "nb.ipynb", content)
    python = {"version": "3.11.7"}
    snapshot = save_snapshot(
        project, Snapshot(source="kernel", origin="k", distributions=(), python=python)
    )
    with project.store.session(write=True) as session:
        for index in range(count):
            stored = index % 2 == 0
            run = new_run(
                None,
                trigger="manual",
                notebook_path="nb.ipynb",
                parameters={"i": index},
                notebook_version_id=version.id if stored else 10_000 + index,
                env_snapshot_id=snapshot.id if stored else f"{index:064x}",
            )
            run.status, run.started_at, run.finished_at = SUCCEEDED, utcnow(), utcnow()
            session.add(run)
    return version.id, snapshot.id


def test_a_page_of_runs_takes_the_same_queries_whatever_its_size(any_project: Project) -> None:
    version_id, snapshot_id = seed(any_project, 120)
    with counted(any_project) as few:
        small = jobs.list_runs(any_project, limit=3)
    with counted(any_project) as many:
        page = jobs.list_runs(any_project, limit=100)
    assert len(small) == 3
    assert len(page) == 100
    selects = [s for s in many if s.lstrip().upper().startswith("SELECT")]
    assert len(many) == len(few)
    # lost runs to end, the page, then each subscriber's: lineage's stored versions and
    # snapshots, the datasets the runs used, their artifacts
    assert len(selects) == 6
    assert "JOIN" not in selects[1].upper()  # the page itself is one plain query
    models = json.loads(json.dumps(page, default=json_default))
    stored, gone = models[1], models[0]  # newest first: run 120 (gone), run 119 (stored)
    assert stored["lineage"]["notebook_version"] == {
        "id": version_id,
        "number": 1,
        "path": "nb.ipynb",
        "pinned": False,
        "stored": True,
        "command": "nbtools version show nb.ipynb 1",
    }
    assert stored["lineage"]["environment"]["id"] == snapshot_id
    assert stored["lineage"]["environment"]["python_version"] == "3.11.7"
    assert gone["lineage"]["notebook_version"]["stored"] is False
    assert gone["lineage"]["environment"]["stored"] is False
    assert "metrics" not in stored  # only a run shown alone has its metrics


def test_a_submitted_run_is_written_once_and_its_reply_needs_no_query(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    """Queueing a run (POST /runs) inserts the run and its audit entry in one write
    transaction, and replies from the row just written: the same object the list shows."""
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    with counted(any_project) as submitted:
        summary = jobs.run_notebook(any_project, "nb.ipynb", {"n": 2}, actor="ann")
    with counted(any_project) as rerun_statements:
        rerun = jobs.rerun_run(any_project, summary.id, actor="bob")
    for statements in (submitted, rerun_statements):
        assert [s.split()[2] for s in statements if s.startswith("INSERT")] == ["runs", "audit"]
        assert statements.count("BEGIN IMMEDIATE") in (0, 1)  # SQLite: one write lock
        inserted = next(i for i, s in enumerate(statements) if s.startswith("INSERT"))
        read = [s for s in statements[inserted:] if s.lstrip().upper().startswith("SELECT")]
        assert [s for s in read if "pg_notify" not in s] == []  # PostgreSQL: the wake-up
    listed = {item["id"]: item for item in jobs.list_runs(any_project, limit=2)}
    for queued in (summary, rerun):
        assert json.loads(dumps(queued)) == json.loads(dumps(listed[queued.id]))
    trail = {(entry.actor, entry.action) for entry in audit.list_entries(any_project)}
    assert {("ann", "run.submit"), ("bob", "run.rerun")} <= trail


def test_times_read_back_aware_in_utc_and_null_as_none(any_project: Project) -> None:
    """Timestamps come back as aware UTC datetimes (SQLite stores them without a zone),
    through the list's Core rows and the ORM alike; a NULL stays None."""
    moment = utcnow().astimezone(timezone(timedelta(hours=-5)))  # stored as UTC
    with any_project.store.session(write=True) as session:
        run = new_run(None, trigger="manual", notebook_path="nb.ipynb", started_at=moment)
        session.add(run)
    [row] = jobs.list_runs(any_project, limit=1)
    with any_project.store.session() as session:
        loaded = session.get(Run, row["id"])
        assert loaded is not None
        for read in (row["started_at"], loaded.started_at, row["created_at"]):
            assert read.utcoffset() == timedelta(0)
        assert row["started_at"] == moment == loaded.started_at
        assert (row["finished_at"], loaded.finished_at) == (None, None)


def test_an_empty_page_and_a_run_without_lineage(any_project: Project) -> None:
    assert jobs.list_runs(any_project) == []
    with any_project.store.session(write=True) as session:
        run = new_run(None, trigger="manual", notebook_path="nb.ipynb", parameters={})
        session.add(run)
    [model] = json.loads(json.dumps(jobs.list_runs(any_project), default=json_default))
    assert model["lineage"] == {
        "summary": "no notebook version recorded, no environment recorded",
        "notebook_version": None,
        "environment": None,
    }
    detail = json.loads(json.dumps(jobs.show_run(any_project, run.id), default=json_default))
    assert detail == {**model, "metrics": {}}


def test_a_job_spec_has_every_field_a_job_is_created_with() -> None:
    """A field added to JOB_FIELDS must reach the REST reply and ``--json``."""
    assert set(JOB_FIELDS) <= {field.name for field in fields(JobSpec)}


def test_a_listed_run_is_the_json_object_of_its_summary(any_project: Project) -> None:
    """The list builds its JSON objects from rows, without models: the same keys in the
    same order and the same values as ``RunSummary.to_wire()``, for every kind of run."""
    now = utcnow()
    with any_project.store.session(write=True) as session:
        failed = new_run(None, trigger="manual", notebook_path="a/nb.ipynb", parameters={"n": 1})
        failed.status, failed.started_at, failed.finished_at = FAILED, now, now
        failed.error_name, failed.error_message, failed.error_cell = "ValueError", "bad", 2
        failed.cells_total, failed.cells_done, failed.current_cell = 4, 2, 2
        skipped = new_run(None, trigger="schedule", notebook_path="nb.ipynb", parameters={})
        skipped.status, skipped.scheduled_for, skipped.skipped_until = SKIPPED, now, now
        skipped.skipped_count, skipped.skip_reason = 3, "missed while no scheduler ran"
        queued = new_run(None, trigger="manual", notebook_path="nb.ipynb", parameters={})
        session.add_all([failed, skipped, queued])
    listed = jobs.list_runs(any_project)
    summaries = jobs.summarize_runs(any_project, [queued, skipped, failed])
    for item, summary in zip(listed, summaries, strict=True):
        assert list(item) == list(summary.to_wire())
        assert dumps(item) == dumps(summary)
    failed_item = listed[2]
    assert failed_item["error"] == {"name": "ValueError", "message": "bad", "cell": 2}
    assert failed_item["progress"] == {"cells_total": 4, "cells_done": 2, "current_cell": 2}
    assert listed[1]["skipped"]["count"] == 3


def test_pages_past_the_end_and_unknown_status(any_project: Project) -> None:
    seed(any_project, 3)
    oldest = jobs.list_runs(any_project)[-1]["id"]
    assert jobs.list_runs(any_project, before=oldest) == []
    assert [item["id"] for item in jobs.list_runs(any_project, limit=1)] == [oldest + 2]
    with pytest.raises(InvalidInputError) as refused:
        jobs.list_runs(any_project, status="done")
    assert refused.value.details["field"] == "status"


def test_the_executed_notebook_of_an_ending_run(project: Project) -> None:
    from nbtools.errors import NotFoundError
    from nbtools.jobs.run_files import executed_notebook

    with project.store.session(write=True) as session:
        run = new_run(None, trigger="manual", notebook_path="deep/train.ipynb", parameters={})
        session.add(run)
        session.flush()
        run_id = run.id
    out = project.store_dir / "runs" / str(run_id)
    assert executed_notebook(project.store, run_id, str(out)) is None  # nothing written yet
    out.mkdir(parents=True)
    (out / "train.ipynb").write_text("{}")
    found = executed_notebook(project.store, run_id, str(out))
    assert found is not None
    assert found.read_bytes() == b"{}"
    assert executed_notebook(project.store, run_id, None) is None  # the run stored no dir
    with pytest.raises(NotFoundError):
        executed_notebook(project.store, run_id + 1, str(out))


def test_a_postgresql_database_in_another_zone_gives_times_in_utc(
    tmp_path: Path, postgres_server: Any, migrated_postgres_template: str, postgres_databases: Any
) -> None:
    """A database whose ``timezone`` is Asia/Tokyo had the driver read every moment in it:
    ``runs show --json`` gave ``+09:00`` and ``runs list`` was titled ``times in JST``, rather
    than the machine's local time (UTC here) as on SQLite."""
    url = postgres_databases(migrated_postgres_template)
    database = url.rpartition("/")[2]
    dsn = f"host=127.0.0.1 port={postgres_server.port} user={postgres_server.user} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE \"{database}\" SET timezone TO 'Asia/Tokyo'")
    project = Project(tmp_path, db_url=url)
    try:
        with project.store.session(write=True) as session:
            run = new_run(None, trigger="manual", notebook_path="nb.ipynb", started_at=utcnow())
            session.add(run)
        with project.store.connection() as connection:
            assert connection.exec_driver_sql("SHOW TIME ZONE").scalar() == "UTC"
            connection.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Tokyo'")  # as a pooler may
            read = connection.execute(select(Run.started_at)).scalar_one()
            assert read.tzinfo is timezone.utc
    finally:
        project.close()
    shown = nbtools(tmp_path, "--db-url", url, "runs", "show", str(run.id), "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["started_at"].endswith("+00:00")
    listed = nbtools(tmp_path, "--db-url", url, "runs", "list")
    assert "times in UTC" in listed.stdout, listed.output
