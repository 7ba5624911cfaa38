"""Helpers for monitoring tests: runs with metrics stored in a real SQLite project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.metrics.harvest import Harvest, HarvestedMetric
from nbtools.metrics.series import save_run_metrics
from nbtools.project import Project


def store_metrics(project: Project, job_id: int | None, run_id: int, **metrics: Any) -> None:
    """Save ``metrics`` as the harvest of ``run_id``."""
    harvest = Harvest(
        {name: HarvestedMetric(name, value, None, "nbtools", 0) for name, value in metrics.items()}
    )
    with project.store.session(write=True) as session:
        save_run_metrics(session, run_id, job_id, harvest)


@pytest.fixture
def any_project(tmp_path: Path, db_url: str) -> Iterator[Project]:
    """A project whose store is SQLite, then PostgreSQL."""
    opened = Project(tmp_path, db_url=db_url)
    yield opened
    opened.close()
