"""A run's outputs over REST once they were erased: opening and downloading answer 404 naming
the run, how and when, never 500; the run's model says so (no kernels: runs are rows)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.data.usage import purge_outputs
from nbtools.jobs.run_files import run_dir
from nbtools.project import Project
from tests.purge_support import add_run, customers_project, nbtools
from tests.server.openapi_spec import reply_validator

#: No scheduler: the jobs and runs stay as the test leaves them, no kernel starts.
pytestmark = pytest.mark.scheduler(None)


@pytest.fixture
def project(jp_root_dir: Path, jp_serverapp: Any) -> Iterator[Project]:
    """The server's project, opened beside it (the server made its store)."""
    yield from customers_project(jp_root_dir)


async def fetch(jp_fetch: Any, method: str, *path: str) -> tuple[int, Any]:
    response = await jp_fetch(
        "nbtools", "api", "runs", *path, method=method, raise_error=False,
        body="{}" if method == "POST" else None,
    )  # fmt: skip
    body = response.body
    return response.code, json.loads(body) if body and body[:1] in b"{[" else body


async def test_the_outputs_of_a_purged_run_are_gone_not_a_failure(
    jp_fetch: Any, project: Project
) -> None:
    run_id = add_run(project, "customers")
    status, opened = await fetch(jp_fetch, "POST", str(run_id), "open")
    assert (status, opened) == (200, {"path": f"nbtools-outputs/nb-run-{run_id}.ipynb"})
    copy = project.root / opened["path"]
    assert copy.is_file()
    purge_outputs(project, "customers")
    assert not copy.exists()

    for method, path in (("POST", "open"), ("GET", "download/notebook")):
        status, error = await fetch(jp_fetch, method, str(run_id), *path.split("/"))
        assert status == 404, (path, error)
        assert error["error"] == "NotFoundError"
        assert error["message"].startswith(f"Run {run_id}'s outputs were erased by a purge")
        assert error["details"]["run"] == run_id
        assert error["details"]["erased"] == "purged"
    status, run = await fetch(jp_fetch, "GET", str(run_id))
    reply_validator("/runs/{run_id}", "get", 200).validate(run)
    assert (run["output_notebook"], run["pruned_at"]) == (None, None)
    assert run["purged_at"] == error["details"]["erased_at"]


async def test_a_stored_notebook_deleted_by_hand_is_not_found(
    jp_fetch: Any, project: Project
) -> None:
    """Before, opening again with a copy in place read the missing file's time: 500."""
    run_id = add_run(project, None)
    assert (await fetch(jp_fetch, "POST", str(run_id), "open"))[0] == 200
    (run_dir(project, run_id) / "nb.ipynb").unlink()
    status, error = await fetch(jp_fetch, "POST", str(run_id), "open")
    assert (status, error["details"]) == (404, {"run": run_id})


async def test_rest_writes_a_runs_files_relative_to_the_root(
    jp_fetch: Any, project: Project
) -> None:
    """The executed notebook, its HTML, its artifacts and the copy **Open output** made, in
    the run's model (list and detail) and the dataset's usage, are relative to the root, as
    the file browser and every error reply write paths; the CLI's ``--json``, for scripts on
    the server's machine, keeps them in full."""
    run_id = add_run(project, "customers", html=True)
    assert (await fetch(jp_fetch, "POST", str(run_id), "open"))[0] == 200
    stored = f".nbtools/runs/{run_id}"
    files = {"output_notebook": f"{stored}/nb.ipynb", "output_html": f"{stored}/nb.html"}
    (listed,) = (await fetch(jp_fetch, "GET"))[1]
    shown = (await fetch(jp_fetch, "GET", str(run_id)))[1]
    for run in (listed, shown):
        assert {name: run[name] for name in files} == files
        assert [a["location"] for a in run["artifacts"]] == [f"{stored}/artifacts/model.bin"]
    reply_validator("/runs/{run_id}", "get", 200).validate(shown)
    response = await jp_fetch("nbtools", "api", "datasets", "customers", "usage")
    usage = json.loads(response.body)
    reply_validator("/datasets/{name}/usage", "get", 200).validate(usage)
    assert usage["runs"][0]["files"] == {
        "notebook": files["output_notebook"],
        "html": files["output_html"],
        "copy": f"nbtools-outputs/nb-run-{run_id}.ipynb",
    }
    assert str(project.root) not in response.body.decode()
    on_server = json.loads(nbtools(project, "runs", "show", str(run_id), "--json").output)
    assert on_server["output_notebook"] == str(project.root / files["output_notebook"])
