"""The Authorizer's actions: ``read`` for lists, ``write`` for edits, ``execute`` for anything
that runs code. A user granted read and write but not execute edits a job but cannot run it,
and what ``write`` allows runs no file a user wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from nbtools.jobs.definitions import create_job
from nbtools.project import Project
from tests.conftest import PLANTED_JSON, make_notebook
from tests.envsnap_support import install_kernel
from tests.server.conftest import server_config
from tests.server.test_jobs_api import call


class ReadWriteOnly(Authorizer):
    """Grants read and write on nbtools but never execute (and everything else)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools" or action in ("read", "write")


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config({"workers": 1, "poll_seconds": 0.1}, authorizer=ReadWriteOnly)


@pytest.fixture
def job(jp_root_dir: Path, jp_serverapp: Any) -> int:
    notebook = make_notebook([("code", "days = 7", ["parameters"]), ("code", "days", [])])
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook))
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    return create_job(project, {"notebook_path": "nb.ipynb", "cron": "0 3 * * *"}).id


async def forbidden(jp_fetch: Any, method: str, *path: str, body: Any = None) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, method, *path, body=body)
    assert info.value.code == 403, info.value
    assert info.value.response is not None
    payload: dict[str, Any] = json.loads(info.value.response.body)
    return payload


async def test_write_without_execute_edits_a_job_but_cannot_run_it(
    jp_fetch: Any, jp_root_dir: Path, job: int
) -> None:
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}

    # read: lists and details
    assert [j["id"] for j in await call(jp_fetch, "GET", "jobs")] == [job]
    # write: renaming, pausing
    renamed = await call(jp_fetch, "PATCH", "jobs", str(job), body={"name": "renamed"})
    assert renamed["name"] == "renamed"
    assert (await call(jp_fetch, "PATCH", "jobs", str(job), body={"paused": True}))["paused"]
    both = await call(jp_fetch, "PATCH", "jobs", str(job), body={"name": "r2", "paused": True})
    assert (both["name"], both["paused"]) == ("r2", True)
    await call(jp_fetch, "POST", "jobs", str(job), "rules", body={"text": "days > 3"})
    # write: restoring a version (a file changes, nothing runs), through either API
    saved = await call(jp_fetch, "POST", "versions", body={"path": "nb.ipynb"})
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 2", [])])))
    restored = await call(jp_fetch, "POST", "versions", str(saved["id"]), "restore")
    assert (restored["source"]["number"], restored["after"]["number"]) == (1, 3)
    checkpoint = ("api", "contents", "nb.ipynb", "checkpoints", "2")
    await jp_fetch(*checkpoint, method="POST", body=b"", allow_nonstandard_methods=True)
    assert "x = 2" in (jp_root_dir / "nb.ipynb").read_text()

    # execute: running, scheduling, resuming, reproducing, recreating, testing
    refusals = [
        ("POST", ("jobs", str(job), "run"), {}),
        ("POST", ("runs",), {"notebook_path": "nb.ipynb"}),
        ("POST", ("jobs",), {"notebook_path": "nb.ipynb", "cron": "0 4 * * *"}),
        ("PATCH", ("jobs", str(job)), {"cron": "*/5 * * * *"}),
        ("PATCH", ("jobs", str(job)), {"parameters": {"days": 1}}),
        ("PATCH", ("jobs", str(job)), {"paused": False}),
        # how long its runs are kept: the next prune deletes the outputs of the others
        ("PATCH", ("jobs", str(job)), {"keep_runs": "1"}),
        ("PATCH", ("jobs", str(job)), {"keep_runs": 1}),
        ("PATCH", ("jobs", str(job)), {"keep_runs": None}),  # back to the project's default
        ("PATCH", ("jobs", str(job)), {"name": "r3", "keep_runs": "1d"}),
        ("PATCH", ("jobs", str(job)), {"paused": True, "keep_runs": "1"}),
        ("POST", ("runs", "1", "rerun"), {}),
        ("POST", ("runs", "1", "reproduce"), {}),
        ("POST", ("env", "recreate"), {"snapshot": "x", "path": "venv"}),
        ("POST", ("extract",), {"path": "nb.ipynb", "test": True}),
        # asked before anything of the request is checked: bad input refused only then
        ("POST", ("runs",), {"notebook_path": "nb.ipynb", "bogus": 1}),
        ("POST", ("jobs", str(job), "run"), {"parameters": "not an object"}),
        ("POST", ("extract",), {"path": "../outside.ipynb", "test": True}),
        ("PATCH", ("jobs", "not-an-id"), {"cron": "*/5 * * * *"}),
    ]
    for method, path, body in refusals:
        payload = await forbidden(jp_fetch, method, *path, body=body)
        assert "execute" in payload["message"], (method, path, payload)
        if "keep_runs" in body:
            assert payload["message"] == (
                "You are not allowed to execute on nbtools, which changing what or when a job "
                "runs, or how long its runs are kept needs."
            )

    assert await call(jp_fetch, "GET", "runs") == []
    stored = await call(jp_fetch, "GET", "jobs", str(job))
    assert (stored["cron"], stored["parameters"], stored["paused"]) == ("0 3 * * *", {}, True)
    assert (stored["name"], stored["keep_runs"]) == ("r2", None)
    assert len(await call(jp_fetch, "GET", "jobs")) == 1
    assert not (jp_root_dir / "venv").exists()
    assert started_for(jp_root_dir, children_before) == []  # no worker, no kernel, no venv


async def test_what_write_allows_imports_no_module_of_the_servers_directory(
    jp_fetch: Any,
    jp_root_dir: Path,
    jp_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A snapshot, a drift check and a written package's lineage run nbtools' capture script
    in the kernel's interpreter, which never imports from the directory the server runs in:
    ``jupyter lab`` started in the project root would otherwise run a ``json.py`` a user
    allowed only to write saved there, with the server's rights."""
    monkeypatch.chdir(jp_root_dir)  # the server started in its root
    for name in ("snapped", "checked", "extracted"):  # three kernels: three captures to start
        install_kernel(jp_data_dir / "kernels", tmp_path / name, name=name)
    # the capture imports json (a distribution's direct_url.json)
    planted = {"type": "file", "format": "text", "content": PLANTED_JSON}
    await jp_fetch("api", "contents", "json.py", method="PUT", body=json.dumps(planted))
    notebook = make_notebook([("code", "def f():\n    return 1", ["export"])], kernel="extracted")
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook))

    snapshot = await call(jp_fetch, "POST", "env", "snapshots", body={"kernel": "snapped"})
    body = {"kernel": "checked", "snapshot": snapshot["id"]}
    assert (await call(jp_fetch, "POST", "env", "check", body=body))["current"]
    body = {"path": "nb.ipynb", "dry_run": False, "output": "pkgout"}
    extracted = await call(jp_fetch, "POST", "extract", body=body)

    assert not (jp_root_dir / "ran").exists(), (jp_root_dir / "ran").read_text()
    assert extracted["lineage"]["environment"]["kernel"] == "extracted"


def started_for(root: Path, before: set[int]) -> list[list[str]]:
    """Command lines of the processes started since ``before`` that work in ``root`` (by
    their directory or their arguments). Other processes of the test session start children
    meanwhile (the session's PostgreSQL server forks a backend per connection and autovacuum
    workers every minute): they are not this server's."""
    started = []
    for process in psutil.Process().children(recursive=True):
        if process.pid in before:
            continue
        try:
            cwd, cmdline = process.cwd(), process.cmdline()
        except psutil.Error:  # ended, or a zombie, since the listing
            continue
        if Path(cwd).is_relative_to(root.resolve()) or any(str(root) in part for part in cmdline):
            started.append(cmdline)
    return started
