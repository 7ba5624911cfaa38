from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools import __version__
from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import server_config
from tests.server.openapi_spec import reply_validator
from tests.unit.data.conftest import store_as_written
from tests.unit.test_store import write_newer_store
from tests.unit.test_store_newer import migrate_with_newer_nbtools


async def test_status_reports_version_root_and_revision(jp_fetch: Any, jp_root_dir: Path) -> None:
    response = await jp_fetch("nbtools", "api", "status")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == __version__
    assert body["root"] == str(jp_root_dir.resolve())
    assert body["store_path"] == str(jp_root_dir.resolve() / ".nbtools")
    assert body["schema_revision"]


@pytest.mark.scheduler(None)  # the test rewrites the store: no scheduler holding it meanwhile
async def test_status_names_the_datasets_sharing_a_location(
    jp_fetch: Any, project: Project
) -> None:
    """Before, the reply said nothing of them: ``[]`` when there are none, else each location
    (without a URL's login) and its datasets."""
    first = json.loads((await jp_fetch("nbtools", "api", "status")).body)
    assert first["shared_locations"] == []
    for name in ("a", "b", "c"):
        add_dataset(project, dataset_spec(project, name, {"location": f"{name}.csv"}))
    store_as_written(
        project, {"a": "S3://u:pw@Bucket/x.csv", "b": "s3://u:pw@Bucket/x.csv/"}, "search_0001"
    )
    body = json.loads((await jp_fetch("nbtools", "api", "status")).body)
    reply_validator("/status", "get", 200).validate(body)
    assert body["shared_locations"] == [{"location": "s3://Bucket/x.csv", "datasets": ["a", "b"]}]


async def test_status_lists_the_server_s_own_scheduler_once_it_runs(jp_fetch: Any) -> None:
    """The server starts its scheduler with the first request that opens the store, this
    status request too (or at start-up when the store exists); from then on it is listed,
    alive, under the server's pid. Before, only a jobs request started it: status made the
    store and then listed no scheduler."""
    first = json.loads((await jp_fetch("nbtools", "api", "status")).body)
    reply_validator("/status", "get", 200).validate(first)
    deadline = time.monotonic() + 30
    mine: list[dict[str, Any]] = []
    while not mine and time.monotonic() < deadline:
        body = json.loads((await jp_fetch("nbtools", "api", "status")).body)
        mine = [seen for seen in body["schedulers"] if seen["pid"] == os.getpid()]
        await asyncio.sleep(0.1)
    assert [(seen["alive"], seen["executor"]) for seen in mine] == [(True, "local")]
    reply_validator("/status", "get", 200).validate(body)


async def test_notebook_summary(jp_fetch: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "nb.ipynb").write_text(
        json.dumps(make_notebook([("code", "x = 1", ["parameters"])]))
    )
    response = await jp_fetch("nbtools", "api", "notebook", params={"path": "nb.ipynb"})
    assert json.loads(response.body)["tags"] == {"parameters": [0]}


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("../etc/passwd", 400, "PathOutsideRootError"),
        ("/etc/passwd", 400, "PathOutsideRootError"),
        ("missing.ipynb", 404, "NotFoundError"),
        ("broken.ipynb", 400, "NotebookError"),
    ],
)
async def test_errors_are_json_with_4xx(
    jp_fetch: Any, jp_root_dir: Path, path: str, status: int, error: str
) -> None:
    (jp_root_dir / "broken.ipynb").write_text('{"nbformat": 4, "cells": [')
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "notebook", params={"path": path})
    assert info.value.code == status
    body = json.loads(info.value.response.body)
    assert body["error"] == error
    assert body["message"]
    assert "details" in body


async def test_missing_argument_is_400_json(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "notebook")
    assert info.value.code == 400
    assert "path" in json.loads(info.value.response.body)["message"]


class TestNewerStore:
    """A store written by a newer jupyter-nbtools: the extension loads and says so."""

    @pytest.fixture
    def jp_server_config(self, jp_root_dir: Path) -> dict[str, Any]:
        write_newer_store(jp_root_dir)  # before the server starts
        return server_config({})

    async def test_status_answers_with_the_error(self, jp_fetch: Any) -> None:
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("nbtools", "api", "status")
        assert info.value.code == 409
        body = json.loads(info.value.response.body)
        assert body["error"] == "StoreTooNewError"
        assert "newer version of jupyter-nbtools" in body["message"]
        assert body["details"] == {"revisions": ["9000_from_the_future"]}


async def store_path(jp_fetch: Any) -> str:
    """The store directory the running extension reports."""
    body = json.loads((await jp_fetch("nbtools", "api", "status")).body)
    return str(body["store_path"])


class TestSettingsOrder:
    """The server reads Jupyter's config, then $NBTOOLS_* variables, then its command line."""

    @pytest.fixture
    def jp_server_config(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        monkeypatch.setenv("NBTOOLS_STORE_DIR", "env-state")
        return server_config({}, NbtoolsSettings={"store_dir": "file-state"})

    async def test_environment_overrides_the_config_file(
        self, jp_fetch: Any, jp_root_dir: Path
    ) -> None:
        assert await store_path(jp_fetch) == str(jp_root_dir.resolve() / "env-state")

    @pytest.mark.parametrize("jp_argv", [["--NbtoolsSettings.store_dir=flag-state"]])
    async def test_the_command_line_overrides_the_environment(
        self, jp_fetch: Any, jp_root_dir: Path
    ) -> None:
        assert await store_path(jp_fetch) == str(jp_root_dir.resolve() / "flag-state")


class TestSettingsUnderTheApp:
    """``c.NbtoolsApp.NbtoolsSettings.*`` (traitlets' section of the parent application) sets
    the settings too, over ``c.NbtoolsSettings.*`` and under the command line."""

    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return server_config(
            {},
            NbtoolsSettings={"store_dir": "file-state"},
            NbtoolsApp={"NbtoolsSettings": {"store_dir": "app-state"}},
        )

    async def test_the_app_section_overrides_the_top_level_one(
        self, jp_fetch: Any, jp_root_dir: Path
    ) -> None:
        assert await store_path(jp_fetch) == str(jp_root_dir.resolve() / "app-state")

    @pytest.mark.parametrize("jp_argv", [["--NbtoolsSettings.store_dir=flag-state"]])
    async def test_the_command_line_overrides_the_app_section(
        self, jp_fetch: Any, jp_root_dir: Path
    ) -> None:
        assert await store_path(jp_fetch) == str(jp_root_dir.resolve() / "flag-state")


class TestBadSetting:
    """A bad setting on the server's command line or in Jupyter's config: one critical line
    naming it as it was given and where, and the server does not start (exit 1, as for a bad
    setting of its own). Before, Jupyter logged the error with a 30-line traceback and served
    on without nbtools. A project root that does not exist is refused, not made."""

    @pytest.fixture(params=["flag", "workers", "local workers", "root"])
    def case(
        self, request: pytest.FixtureRequest, tmp_path: Path
    ) -> tuple[dict[str, Any], list[str], str]:
        if request.param == "flag":
            message = "--JobsSettings.workers='many' on the command line: expected an integer"
            return {}, ["--JobsSettings.workers=many"], message
        if request.param == "workers":
            message = "c.JobsSettings.workers = -1 in Jupyter's config files: expected an integer"
            return {"JobsSettings": {"workers": -1}}, [], message
        if request.param == "local workers":  # more than the machine bears: 4 per CPU
            message = "JobsSettings.workers of the local executor must be from 0 to "
            return {"JobsSettings": {"workers": 100000}}, [], message
        missing = tmp_path / "typo"
        message = f"The project root {missing} does not exist: name the project's directory."
        return {"NbtoolsSettings": {"root_dir": str(missing)}}, [], message

    async def test_the_server_does_not_start_and_says_why_in_one_line(
        self,
        case: tuple[dict[str, Any], list[str], str],
        jp_configurable_serverapp: Any,
        capfd: pytest.CaptureFixture[str],
        tmp_path: Path,
    ) -> None:
        config, argv, message = case
        config = {"ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}}, **config}
        with pytest.raises(SystemExit) as info:
            jp_configurable_serverapp(config=config, argv=argv)
        assert info.value.code == 1
        logged = capfd.readouterr().err  # the server's log, as it loaded its extensions
        assert "Traceback" not in logged
        (line,) = [line for line in logged.splitlines() if line.startswith(("[W", "[E", "[C"))]
        assert line.startswith("[C ")
        assert f"NbtoolsApp] jupyter_nbtools | {message}" in line
        assert line.endswith(
            "The server does not start: correct the setting, or disable the extension "
            "(jupyter server extension disable jupyter_nbtools)."
        )
        assert not (tmp_path / "typo").exists()


async def test_a_misspelt_variable_is_reported_naming_the_closest(
    jp_configurable_serverapp: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, the server ignored ``$NBTOOLS_JOBS_WOKERS`` silently; the variables nbtools sets
    for the processes it starts are never reported."""
    monkeypatch.setenv("NBTOOLS_JOBS_WOKERS", "4")
    monkeypatch.setenv("NBTOOLS_PURPOSE", "reporting")
    monkeypatch.setenv("NBTOOLS_JOBS_POLL_SECONDS", "2")
    jp_configurable_serverapp(config=server_config(None))
    assert [r.getMessage() for r in caplog.records if r.name == "nbtools"] == [
        "The variable $NBTOOLS_JOBS_WOKERS is not one nbtools reads: it has no effect; did you mean "
        "$NBTOOLS_JOBS_WORKERS?"
    ]


async def test_a_variable_jupyter_s_config_names_as_the_api_key_s_is_not_reported(
    jp_configurable_serverapp: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A config file shared with ``nbtools serve`` names the service's API key variable: the
    server warned that it was not one nbtools reads."""
    monkeypatch.setenv("NBTOOLS_SCORER_KEY", "secret")
    monkeypatch.delenv("NBTOOLS_SERVE_API_KEY_ENV", raising=False)
    serve = {"api_key_env": "NBTOOLS_SCORER_KEY"}
    jp_configurable_serverapp(config=server_config(None, ServeSettings=serve))
    assert [r.getMessage() for r in caplog.records if r.name == "nbtools"] == []


@pytest.mark.scheduler(None)  # the store is migrated under the server: no scheduler writing it
async def test_a_store_a_newer_nbtools_migrates_under_the_server_is_refused(
    jp_fetch: Any, jp_root_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An old server next to a new CLI: before, status answered 200 listing the new revision,
    and a save through the contents API recorded a version in the migrated store."""
    await jp_fetch("nbtools", "api", "status")  # the server opens (and migrates) the store
    migrate_with_newer_nbtools(jp_root_dir, tmp_path_factory.mktemp("newer"))
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "status")
    assert info.value.code == 409
    assert json.loads(info.value.response.body)["error"] == "StoreTooNewError"
    body = json.dumps({"type": "notebook", "format": "json", "content": make_notebook([])})
    await jp_fetch("api", "contents", "nb.ipynb", method="PUT", body=body)  # the file is saved
    database = sqlite3.connect(jp_root_dir / ".nbtools/nbtools.db")
    try:
        assert database.execute("SELECT count(*) FROM versions").fetchone() == (0,)
    finally:
        database.close()
