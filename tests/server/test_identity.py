"""Jobs, runs and versions record the authenticated Jupyter user (from the server's identity
provider, as JupyterHub's), not the server's OS user; the CLI's core calls record the OS user
or ``$NBTOOLS_ACTOR``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import IdentityProvider, User
from tornado.httpclient import HTTPClientError

from nbtools.jobs.definitions import create_job
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import server_config

NOTEBOOK = make_notebook([("code", "days = 7", ["parameters"]), ("code", "days", [])])


class HeaderUsers(IdentityProvider):
    """Users told apart by a header (as a proxy in front of Jupyter could do); any other name
    is no user."""

    def get_user(self, handler: Any) -> User | None:
        name = handler.request.headers.get("X-Test-User")
        return User(username=name) if name in ("alice", "bob", "carol") else None


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(identity=HeaderUsers)


async def as_user(jp_fetch: Any, user: str, method: str, *path: str, body: Any = None) -> Any:
    response = await jp_fetch(
        *path,
        method=method,
        headers={"X-Test-User": user},
        body=None if body is None else json.dumps(body),
    )
    return json.loads(response.body) if response.body else None


async def test_two_users_are_recorded_on_what_each_creates(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    api = ("nbtools", "api")
    job = await as_user(jp_fetch, "alice", "POST", *api, "jobs", body={"notebook_path": "nb.ipynb"})
    assert job["created_by"] == "alice"
    bobs = await as_user(jp_fetch, "bob", "POST", *api, "jobs", str(job["id"]), "run", body={})
    alices = await as_user(
        jp_fetch, "alice", "POST", *api, "runs", body={"notebook_path": "nb.ipynb"}
    )
    rerun = await as_user(
        jp_fetch, "bob", "POST", *api, "runs", str(alices["id"]), "rerun", body={}
    )
    assert (bobs["created_by"], alices["created_by"], rerun["created_by"]) == (
        "bob",
        "alice",
        "bob",
    )
    listed = await as_user(jp_fetch, "alice", "GET", *api, "runs")
    assert {run["id"]: run["created_by"] for run in listed} == {
        bobs["id"]: "bob",
        alices["id"]: "alice",
        rerun["id"]: "bob",
    }

    # Versions: a save through Jupyter's contents API (the checkpoints hook) and a named save.
    content = {**NOTEBOOK, "cells": NOTEBOOK["cells"][:1]}
    model = {"type": "notebook", "format": "json", "content": content}
    await as_user(jp_fetch, "alice", "PUT", "api", "contents", "nb.ipynb", body=model)
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))  # an edit outside Jupyter
    named = await as_user(
        jp_fetch, "bob", "POST", *api, "versions", body={"path": "nb.ipynb", "message": "v2"}
    )
    assert named["user"] == "bob"
    history = await jp_fetch(
        *api, "versions", params={"path": "nb.ipynb"}, headers={"X-Test-User": "bob"}
    )
    users = [version["user"] for version in json.loads(history.body)["versions"]]
    assert users[-1] == "alice"  # the save, older than bob's named version
    assert "bob" in users

    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*api, "runs", headers={"X-Test-User": "mallory"})
    assert info.value.code == 403


def test_core_calls_record_the_os_user_or_nbtools_actor(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.root / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    monkeypatch.setenv("NBTOOLS_ACTOR", "ci-bot")
    job = create_job(project, {"notebook_path": "nb.ipynb"})
    assert job.created_by == "ci-bot"
    assert queue_run(project, "nb.ipynb", {}, actor="carol").created_by == "carol"
    assert queue_run(project, "nb.ipynb", {}, job=job).created_by == "ci-bot"
