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
def jp_server_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The server with the extension enabled, its scheduler's ``JobsSettings`` given by the
    module's ``scheduler`` mark (``pytestmark = pytest.mark.scheduler(ONE_WORKER)``; None: no
    scheduler), else the defaults. A module needing more (an identity provider, an authorizer)
    overrides this fixture with :func:`server_config`."""
    mark = request.node.get_closest_marker("scheduler")
    return server_config({} if mark is None else mark.args[0])


#: A notebook with a parameters cell (``city``, ``days``, ``growth``, ``fast``) that prints.
FORECAST = make_notebook(
    [
        ("code", "city = 'Lisbon'  # where\ndays = 7\ngrowth = 0.5\nfast = True", ["parameters"]),
        ("code", "print(city, days * growth)", []),
    ]
)
FAILING = make_notebook([("code", "x = 1", []), ("code", "1 / 0", [])])
SYNTAX_ERROR = make_notebook([("code", "x = 1", []), ("code", "x = (1 +", [])])


@pytest.fixture
def notebooks(jp_root_dir: Path) -> Path:
    """The server's root holding ``forecast.ipynb`` (:data:`FORECAST`), ``failing.ipynb``
    (a ZeroDivisionError) and ``syntax.ipynb`` (a SyntaxError), for jobs and runs."""
    (jp_root_dir / "forecast.ipynb").write_text(json.dumps(FORECAST))
    (jp_root_dir / "failing.ipynb").write_text(json.dumps(FAILING))
    (jp_root_dir / "syntax.ipynb").write_text(json.dumps(SYNTAX_ERROR))
    return jp_root_dir


#: Every route reading a path (a body field or a query argument): its method, its target below
#: ``nbtools/api/`` and the field naming the path.
PATH_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "notebook", "path"),
    ("GET", "parameters", "path"),
    ("GET", "data/check", "path"),
    ("GET", "versions", "path"),
    ("GET", "versions/diff", "path"),
    ("GET", "jobs", "path"),
    ("GET", "runs", "path"),
    ("GET", "env/last-run", "path"),
    ("POST", "versions", "path"),
    ("POST", "runs", "notebook_path"),
    ("POST", "jobs", "notebook_path"),
    ("POST", "extract", "path"),
    ("POST", "env/recreate", "path"),
    ("POST", "services", "package_dir"),
]
#: A scheduler of one local worker polling five times a second: runs start soon after a test
#: queues them.
ONE_WORKER = {"workers": 1, "poll_seconds": 0.2}


def server_config(
    jobs: dict[str, Any] | None = None,
    *,
    identity: type | None = None,
    authorizer: type | None = None,
    **sections: dict[str, Any],
) -> dict[str, Any]:
    """A ``jp_server_config`` with the extension enabled. ``jobs``: the ``JobsSettings``; None:
    no scheduler, so jobs and runs stay as the test leaves them (no run starts, no kernel).
    ``identity``, ``authorizer``: the server's identity provider and authorizer classes (with an
    identity provider, the XSRF check is off: its tests name their user in a header).
    ``sections``: more configuration (``NbtoolsSettings={"db_url": ...}``)."""
    app: dict[str, Any] = {"jpserver_extensions": {"jupyter_nbtools": True}}
    if identity is not None:
        app |= {"identity_provider_class": identity, "disable_check_xsrf": True}
    if authorizer is not None:
        app["authorizer_class"] = authorizer
    return {
        "ServerApp": app,
        "JobsSettings": {"run_scheduler": False} if jobs is None else jobs,
        **sections,
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
