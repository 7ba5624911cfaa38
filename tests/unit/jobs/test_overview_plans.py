"""The jobs dashboard reads a job's newest runs through the runs index, however many runs it
has: each query of a page on ``runs`` searches the index of ``(job_id, id)`` (or the key)
and sorts nothing, checked with the database's own plan (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN`` on PostgreSQL with sequential scans off, as a large table would have them)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, event

from nbtools import jobs
from nbtools.jobs.overview import ListJobsQuery
from nbtools.jobs.tables import FAILED, SKIPPED, SUCCEEDED
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.unit.jobs.test_overview import add_runs


def _runs_queries(project: Project) -> list[tuple[str, Any]]:
    """The SELECTs on ``runs`` a dashboard page executes, with their parameters."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and re.search(r"\bFROM runs\b", statement):
            captured.append((statement, parameters))

    event.listen(project.store.engine, "before_cursor_execute", capture)
    try:
        jobs.dashboard(project, ListJobsQuery())
    finally:
        event.remove(project.store.engine, "before_cursor_execute", capture)
    return captured


def _plan(connection: Connection, statement: str, parameters: Any) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [row[-1] for row in rows]
    connection.exec_driver_sql("SET enable_seqscan = off")
    return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]


def _full_reads(plan: list[str]) -> list[str]:
    """The steps of ``plan`` that read runs beyond one job's (or one run's) or sort."""
    allowed = re.compile(
        r"SEARCH runs USING (INDEX ix_runs_job_id_id \(job_id=\?\)|INTEGER PRIMARY KEY)"
        r"|Index (Only )?Scan (Backward )?using (ix_runs_job_id_id|pk_runs) on runs"
    )
    return [
        step
        for step in plan
        if "TEMP B-TREE" in step
        or re.search(r"\bSort\b|Seq Scan on runs|SCAN runs", step)
        or (
            (re.search(r"\bruns\b", step) and re.search(r"SEARCH|Scan", step))
            and not allowed.search(step)
        )
    ]


def test_the_dashboard_reads_each_jobs_newest_runs_by_the_index(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    for name in ("busy", "quiet"):
        job = jobs.create_job(any_project, {"name": name, "notebook_path": "nb.ipynb"})
        add_runs(any_project, job.id, *[(SUCCEEDED, 1), (FAILED, 2), (SKIPPED, 0)] * 5)
    queries = _runs_queries(any_project)
    assert len(queries) == 2  # the latest runs, the recent runs
    with any_project.store.engine.connect() as connection:
        for statement, parameters in queries:
            plan = _plan(connection, statement, parameters)
            assert _full_reads(plan) == [], "\n".join(plan)
