"""``nbtools store copy`` into PostgreSQL writes each batch of rows with one ``COPY`` (was:
an ``executemany``, which psycopg sends as one ``INSERT`` executed per row), the rows the same,
counted in the statements the server logs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert

from nbtools import jobs
from nbtools.jobs.tables import runs_table
from nbtools.project import Project
from nbtools.store import utcnow
from nbtools.storecopy import copy_store
from tests.unit.test_storecopy import contents

RUNS = 30


def test_a_batch_of_rows_is_one_copy_statement(
    project: Project, postgres_server: Any, postgres_databases: Callable[..., str]
) -> None:
    (project.root / "nb.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    job = jobs.create_job(
        project, {"name": "daily", "notebook_path": "nb.ipynb"}, kernel_check=False
    )
    now = utcnow()
    with project.store.connection(write=True) as connection:
        connection.execute(
            insert(runs_table),
            [
                {"job_id": job.id, "trigger": "manual", "notebook_path": "nb.ipynb",
                 "status": "succeeded", "parameters": {"n": n}, "outputs": None,
                 "started_at": now, "finished_at": now}
                for n in range(RUNS)
            ],
        )  # fmt: skip
    target = postgres_databases()
    postgres_server._execute(
        f"ALTER DATABASE \"{target.rsplit('/', 1)[1]}\" SET log_statement = 'all'"
    )
    log = postgres_server.workdir / "postgres.log"
    start = log.stat().st_size

    copied = copy_store(project, target)

    with log.open("rb") as written:
        written.seek(start)
        logged = written.read().decode(errors="replace")
    assert copied.tables["runs"] == RUNS
    assert len(re.findall(r"LOG:  (?:statement|execute [^:]*): COPY runs ", logged)) == 1
    assert re.findall(r"LOG:  (?:statement|execute [^:]*): INSERT INTO runs ", logged) == []
    assert contents(target)["runs"] == contents(project.db_url)["runs"]
