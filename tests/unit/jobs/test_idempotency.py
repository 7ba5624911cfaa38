"""Idempotent submission: concurrent duplicates (threads and processes) with one key create
exactly one job or run, on SQLite and PostgreSQL; the others get a conflict naming it."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from nbtools.errors import ConflictError, InvalidInputError
from nbtools.jobs.definitions import create_job
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from tests.conftest import NotebookFactory

SUBMITTERS = 6


def _submit(root: str, db_url: str, kind: str, key: str) -> tuple[str, int]:
    """Submit once in a fresh project: ("created", id) or ("conflict", the existing id)."""
    project = Project(Path(root), db_url=db_url)
    try:
        if kind == "job":
            job = create_job(project, {"notebook_path": "nb.ipynb"}, idempotency_key=key)
            return "created", job.id
        run = queue_run(project, "nb.ipynb", {"n": 2}, idempotency_key=key)
        return "created", run.id
    except ConflictError as error:
        return "conflict", int(error.details[f"{kind}_id"])
    finally:
        project.close()


def _count(project: Project, table: type[Job] | type[Run]) -> int:
    with project.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _check(results: list[tuple[str, int]]) -> None:
    created = [id_ for outcome, id_ in results if outcome == "created"]
    assert len(created) == 1
    assert {id_ for _, id_ in results} == set(created)  # every conflict names the winner


@pytest.mark.parametrize("kind", ["job", "run"])
def test_concurrent_threads_create_once(
    store_url: str, tmp_path: Path, notebook_factory: NotebookFactory, kind: str
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    results: list[tuple[str, int]] = []
    start = threading.Barrier(SUBMITTERS)

    def submit() -> None:
        start.wait()
        results.append(_submit(str(tmp_path), store_url, kind, "key-1"))

    threads = [threading.Thread(target=submit) for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == SUBMITTERS
    _check(results)
    project = Project(tmp_path, db_url=store_url)
    assert _count(project, Job if kind == "job" else Run) == 1
    project.close()


@pytest.fixture(scope="module")
def submitters() -> Iterator[Pool]:
    """The submitting processes, started once for the module: spawning a process and importing
    nbtools costs more than its submission, and processes already waiting race more tightly."""
    with multiprocessing.get_context("spawn").Pool(SUBMITTERS) as pool:
        yield pool


@pytest.mark.parametrize("kind", ["job", "run"])
def test_concurrent_processes_create_once(
    store_url: str, tmp_path: Path, notebook_factory: NotebookFactory, kind: str, submitters: Pool
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    args: list[Any] = [(str(tmp_path), store_url, kind, "key-2")] * SUBMITTERS
    _check(submitters.starmap(_submit, args))


def test_other_keys_and_no_key_create_separately(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    for key in ("a", "b", None, None):
        queue_run(project, "nb.ipynb", {}, idempotency_key=key)
    assert _count(project, Run) == 4
    with pytest.raises(ConflictError, match="already submitted with idempotency key 'a': run 1"):
        queue_run(project, "nb.ipynb", {"n": 5}, idempotency_key="a")
    assert _count(project, Run) == 4


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there", "clé", 7])
def test_bad_keys_are_refused(
    project: Project, notebook_factory: NotebookFactory, key: Any
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    with pytest.raises(InvalidInputError, match="idempotency key"):
        create_job(project, {"notebook_path": "nb.ipynb"}, idempotency_key=key)
    assert _count(project, Job) == 0
