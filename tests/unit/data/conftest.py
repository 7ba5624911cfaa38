"""A project on each store (SQLite file, throw-away PostgreSQL) with data files in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.project import Project


@pytest.fixture
def catalog_project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    """A project rooted at ``tmp_path/root`` whose store is each supported engine."""
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    opened = Project(root, db_url=store_url)
    yield opened
    opened.close()
