"""Jupyter's plain token login identifies nobody: what its made-up user does is recorded
under the server's own actor, as the CLI would record it (``jupyter_nbtools.identity``)."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import User

from jupyter_nbtools.identity import is_made_up
from tests.conftest import make_notebook

NOTEBOOK = make_notebook([("code", "days = 7", ["parameters"]), ("code", "days", [])])
API = ("nbtools", "api")


@pytest.fixture
def jp_server_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "JobsSettings": {"run_scheduler": False},
    }
    actor = getattr(request, "param", None)
    if actor is not None:
        config["NbtoolsSettings"] = {"actor": actor}
    return config


async def call(jp_fetch: Any, method: str, *path: str, body: Any = None, **kw: Any) -> Any:
    response = await jp_fetch(
        *path, method=method, body=None if body is None else json.dumps(body), **kw
    )
    return json.loads(response.body) if response.body else None


async def recorded_actors(jp_fetch: Any, root: Path) -> set[str]:
    """Create a job, run it, save a version through the contents API and a named one; every
    name they and their audit entries record."""
    (root / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    job = await call(jp_fetch, "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    run = await call(jp_fetch, "POST", *API, "jobs", str(job["id"]), "run", body={})
    model = {"type": "notebook", "format": "json", "content": NOTEBOOK}
    await call(jp_fetch, "PUT", "api", "contents", "nb.ipynb", body=model)
    (root / "nb.ipynb").write_text(json.dumps({**NOTEBOOK, "cells": NOTEBOOK["cells"][:1]}))
    named = await call(jp_fetch, "POST", *API, "versions", body={"path": "nb.ipynb"})
    versions = await call(jp_fetch, "GET", *API, "versions", params={"path": "nb.ipynb"})
    entries = await call(jp_fetch, "GET", *API, "audit")
    assert len(versions["versions"]) == 2
    assert {e["action"] for e in entries} >= {"job.create", "run.submit"}
    return {
        job["created_by"],
        run["created_by"],
        named["user"],
        *(v["user"] for v in versions["versions"]),
        *(e["actor"] for e in entries),
    }


async def test_a_token_login_acts_as_the_os_user_running_the_server(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTOOLS_ACTOR", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert await recorded_actors(jp_fetch, jp_root_dir) == {pwd.getpwuid(os.getuid()).pw_name}


@pytest.mark.parametrize("jp_server_config", ["lab-owner"], indirect=True)
async def test_a_token_login_acts_as_the_configured_actor(jp_fetch: Any, jp_root_dir: Path) -> None:
    assert await recorded_actors(jp_fetch, jp_root_dir) == {"lab-owner"}


def test_only_a_user_jupyter_made_up_counts_as_naming_no_one() -> None:
    made_up = User("0123456789abcdef0123456789abcdef", "Anonymous Io", "Anonymous Io")
    assert is_made_up(made_up)
    # people an identity provider named, even with a hex id or an 'Anonymous' name
    assert not is_made_up(User("0123456789abcdef0123456789abcdef", "Ada", "Ada"))
    assert not is_made_up(User("ada", "Anonymous Io", "Anonymous Io"))
    assert not is_made_up(User("0123456789ABCDEF0123456789ABCDEF", "Anonymous Io", "Anonymous Io"))
    assert not is_made_up(User("0123456789abcdef0123456789abcdef", "Anonymous Io", "Io"))
