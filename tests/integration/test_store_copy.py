"""``nbtools store copy`` on a project that has run notebooks: moved from its SQLite file to
PostgreSQL, nbtools answers there as it did; the copy waits for a running run; and a copy
killed half-way leaves the new database without a row (one transaction)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import make_url

from nbtools import jobs
from nbtools.cli.app import cli
from nbtools.project import Project
from nbtools.storecopy import store_tables
from tests.conftest import NotebookFactory, opened_for_writing

pytestmark = pytest.mark.slow

READS = "import nbtools.data\nprint(open(nbtools.data.path('customers')).read())"
RECORDS = "import nbtools\nnbtools.record('rows', days * 2)"
#: What a person or a script reads of a project, each answered as JSON.
READINGS = (
    ("runs", "list", "--json"),
    ("runs", "show", "1", "--json"),
    ("runs", "show", "2", "--json"),
    ("version", "log", "churn.ipynb", "--json"),
    ("schedule", "list", "--json"),
    ("schedule", "show", "churn", "--from", "2030-01-01", "--json"),
    ("alerts", "rule", "list", "--json"),
    ("metrics", "show", "1", "--json"),
    ("data", "list", "--json"),
    ("data", "show", "customers", "--json"),
    ("env", "list", "--json"),
    ("audit", "list", "--json"),
)


def nbtools(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, (args, result.output)
    return result


def read_all(root: Path, *store: str) -> dict[tuple[str, ...], Any]:
    return {reading: json.loads(nbtools(root, *store, *reading).stdout) for reading in READINGS}


def test_a_project_moved_to_postgresql_answers_as_it_did(
    tmp_path: Path, notebook_factory: NotebookFactory, postgres_url: str
) -> None:
    """Jobs, runs (with lineage, datasets, metrics, an environment), versions, the catalog,
    alert rules and the audit trail read the same through nbtools on the new database; what
    is made there afterwards gets ids after the copied ones."""
    (tmp_path / "c.csv").write_text("id,name\n1,a\n")
    nbtools(tmp_path, "data", "add", "customers", "c.csv", "--tag", "crm")
    cells = [("code", "days = 7", ["parameters"]), ("code", READS, []), ("code", RECORDS, [])]
    notebook_factory("churn.ipynb", cells)
    nbtools(tmp_path, "version", "save", "churn.ipynb", "-m", "first")
    nbtools(tmp_path, "schedule", "add", "churn.ipynb", "--name", "churn", "--cron", "0 6 * * *")
    nbtools(tmp_path, "alerts", "rule", "add", "churn", "failed")
    nbtools(tmp_path, "run", "churn.ipynb", "-p", "days=3")
    nbtools(tmp_path, "schedule", "run", "churn")  # queued: no scheduler serves the store
    before = read_all(tmp_path)
    assert before["metrics", "show", "1", "--json"]["metrics"]  # a run that recorded metrics

    copied = json.loads(nbtools(tmp_path, "store", "copy", "--to", postgres_url, "--json").stdout)
    assert copied["tables"]["run_datasets"] == 1
    assert copied["tables"]["env_snapshots"] == 1
    on_postgres = ("--db-url", postgres_url)
    after = read_all(tmp_path, *on_postgres)
    entry, *trail = after.pop(("audit", "list", "--json"))
    assert trail == before.pop(("audit", "list", "--json"))
    assert (entry["action"], entry["target"]) == ("store.copy", f"store {copied['target']}")
    assert after == before

    run = json.loads(nbtools(tmp_path, *on_postgres, "run", "churn.ipynb", "--json").stdout)
    added = nbtools(tmp_path, *on_postgres, "schedule", "add", "churn.ipynb", "--json")
    assert (run["id"], run["status"], json.loads(added.stdout)["id"]) == (3, "succeeded", 2)
    assert [
        r["id"]
        for r in json.loads(nbtools(tmp_path, *on_postgres, "runs", "list", "--json").stdout)
    ] == [3, 2, 1]
    newest = json.loads(nbtools(tmp_path, *on_postgres, "audit", "list", "--json").stdout)
    assert [e["id"] for e in newest[:3]] == [entry["id"] + 2, entry["id"] + 1, entry["id"]]
    # the SQLite file was left as it was
    assert read_all(tmp_path)[("runs", "list", "--json")] == before[("runs", "list", "--json")]


def test_the_copy_waits_for_no_running_run(
    project: Project, notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A run running (here held reading a named pipe) is refused, naming it; once it ended,
    the copy goes ahead."""
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    notebook_factory("wait.ipynb", [("code", f"open({str(fifo)!r}).read()", [])])
    target = tmp_path / "copy.db"
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root)]
    running = subprocess.Popen([*command, "run", "wait.ipynb"], stdout=subprocess.DEVNULL)
    writer = None
    try:
        writer = opened_for_writing(fifo, running)
        refused = CliRunner().invoke(
            cli, ["--root", str(project.root), "store", "copy", "--to", f"sqlite:///{target}"]
        )
        assert refused.exit_code == 2, refused.output
        assert "Run 1 is running: wait until every run has ended" in refused.stderr
        assert not target.exists()
        os.close(writer)
        writer = None
        assert running.wait(timeout=120) == 0
    finally:
        if writer is not None:
            os.close(writer)
        if running.poll() is None:
            running.kill()
            running.wait()
    nbtools(project.root, "store", "copy", "--to", f"sqlite:///{target}")


def test_a_copy_killed_half_way_leaves_the_new_database_empty(
    project: Project, postgres_databases: Callable[..., str], migrated_postgres_template: str
) -> None:
    """SIGKILL while the copy waits to insert runs (a lock this test holds), after it
    inserted the jobs: the database has no row afterwards, and a new copy into it succeeds."""
    queue_a_job_run(project)
    target = postgres_databases(migrated_postgres_template)
    dsn = make_url(target).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as watcher:
        holder.execute("LOCK TABLE runs IN SHARE MODE")  # inserts wait, reads do not
        copying = subprocess.Popen(
            [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root),
             "store", "copy", "--to", target],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            backend = waiting_on(watcher, "runs", copying)
            held = watcher.execute(
                "SELECT relation::regclass::text FROM pg_locks WHERE pid = %s AND granted "
                "AND mode = 'RowExclusiveLock'",
                (backend,),
            ).fetchall()
            assert ("jobs",) in held  # the jobs were inserted already
            copying.send_signal(signal.SIGKILL)
            copying.wait(timeout=60)
        finally:
            if copying.poll() is None:
                copying.kill()
                copying.wait()
        holder.rollback()
        deadline = time.monotonic() + 60
        while watcher.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)
        ).fetchall():
            assert time.monotonic() < deadline, "the killed copy's session never ended"
            time.sleep(0.05)
        counts = {
            name: watcher.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # type: ignore[index]
            for (name,) in watcher.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).fetchall()
        }
    assert len(counts) == len(store_tables())
    assert set(counts.values()) == {0}, counts
    nbtools(project.root, "store", "copy", "--to", target)


def queue_a_job_run(project: Project) -> None:
    """A job and a queued run of it."""
    (project.root / "nb.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
    )
    job = jobs.create_job(project, {"name": "daily", "notebook_path": "nb.ipynb", "cron": "@daily"})
    jobs.run_job(project, job.id, {})


def waiting_on(
    watcher: psycopg.Connection[Any], table: str, process: subprocess.Popen[bytes]
) -> int:
    """The server process id of the session that waits for a lock on ``table``."""
    deadline = time.monotonic() + 120
    while True:
        found = watcher.execute(
            "SELECT pid FROM pg_locks WHERE relation = %s::regclass AND NOT granted", (table,)
        ).fetchall()
        if found:
            return int(found[0][0])
        assert process.poll() is None, "the copy ended before it reached the table"
        assert time.monotonic() < deadline, "the copy never reached the table"
        time.sleep(0.05)
