"""A real Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.openapi_spec import error_validator


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}}}


def without_scheduler() -> dict[str, Any]:
    """A ``jp_server_config`` for a module whose jobs and runs stay as the test leaves them:
    the extension enabled and no scheduler, so no run starts and no kernel."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "JobsSettings": {"run_scheduler": False},
    }


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


@pytest.fixture
def project(jp_serverapp: Any, jp_root_dir: Path) -> Project:
    """The server's project, with a notebook ``nb.ipynb`` (``x = 1``) for its jobs."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    found: Project = jp_serverapp.web_app.settings["nbtools_project"]
    return found


@pytest.fixture
def jp_fetch(jp_fetch: Any) -> Any:
    """pytest-jupyter's ``jp_fetch``, checking every error reply of nbtools against the
    document's ``Error``: a refusal of bad input (400, 413) names the field it refused."""

    async def fetch(*parts: str, **kwargs: Any) -> HTTPResponse:
        try:
            response: HTTPResponse = await jp_fetch(*parts, **kwargs)
        except HTTPClientError as error:
            if error.response is not None:
                check_error_reply(parts, error.response)
            raise
        check_error_reply(parts, response)
        return response

    return fetch


def check_error_reply(parts: tuple[str, ...], response: HTTPResponse) -> None:
    route = "/".join(parts).strip("/")
    json_reply = response.headers.get("Content-Type", "").startswith("application/json")
    if route.startswith("nbtools/api/") and response.code >= 400 and json_reply:
        reply = json.loads(response.body)
        errors = sorted(error_validator(response.code).iter_errors(reply), key=str)
        assert not errors, f"{response.code} {route}: {reply} ({errors[0].message})"
