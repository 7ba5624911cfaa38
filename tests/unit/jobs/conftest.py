"""The notebook the jobs of these tests run, and a project on each database the suite tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.jobs import runs
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory


@pytest.fixture
def notebook(notebook_factory: NotebookFactory) -> str:
    """``nb.ipynb``, one cell tagged ``parameters`` (``n = 1``): its path in the project."""
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    return "nb.ipynb"


@pytest.fixture
def shared(store_url: str, tmp_path: Path, notebook_factory: NotebookFactory) -> Iterator[Project]:
    """A project on the parametrized database (SQLite, PostgreSQL), with the one-cell notebook
    ``nb.ipynb`` of :func:`notebook`."""
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=store_url)
    yield project
    project.close()


def stored(project: Project, run_id: int) -> Run:
    """The run as stored now."""
    with project.store.session() as session:
        return runs.get_run(session, run_id)


def catch_up_limit(policy: str, limit: int) -> dict[str, Any]:
    """A job's ``catch_up_limit`` field under ``policy``: given only with ``catch_up``, the one
    policy it means something under (any other is refused with it)."""
    return {"catch_up_limit": limit} if policy == "catch_up" else {}
