"""A real Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from nbtools.project import Project


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}}}


@pytest.fixture
def jp_serverapp(jp_serverapp: Any, migrated_sqlite_store: Path) -> Any:
    """pytest-jupyter's server; where the extension's project would make a new SQLite store
    on its first request, it finds a copy of one already migrated (``tests/conftest.py``).
    Copied after start-up, so the server starts as in an empty root (no scheduler yet)."""
    project: Project | None = jp_serverapp.web_app.settings.get("nbtools_project")
    if project is not None:
        database = project.store_dir / "nbtools.db"
        if project.db_url == f"sqlite:///{database}" and not project.store_dir.exists():
            project.store_dir.mkdir(parents=True)
            shutil.copyfile(migrated_sqlite_store, database)
    return jp_serverapp
