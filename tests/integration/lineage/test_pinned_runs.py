"""Jobs pinned to a version run that version; versions of runs survive gc for reproduction."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.jobs import show_run
from nbtools.jobs.definitions import get_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.submit import queue_run
from nbtools.kernels import KernelSource
from nbtools.project import Project
from tests.envsnap_support import EnvKernel
from tests.integration.lineage.conftest import Cli, as_json, printed, write_notebook

pytestmark = pytest.mark.slow


def run_job_now(project: Project, job_id: int) -> dict:  # type: ignore[type-arg]
    with project.store.session() as session:
        job = get_job(session, job_id)
    queued = queue_run(project, job.notebook_path, dict(job.parameters), job=job)
    kernels = KernelSource(prestart=False)
    try:
        execute_run(project, RunRequest.for_project(project, queued.id), kernels)
    finally:
        kernels.close()
    return show_run(project, queued.id).to_wire()


def test_pinned_job_runs_its_version_and_runs_keep_versions_through_gc(
    nbtools: Cli, kernel: EnvKernel, tmp_path: Path
) -> None:
    write_notebook(tmp_path, "print('v1', days)", parameters="days = 1")
    assert nbtools("version", "save", "nb.ipynb").exit_code == 0
    job = as_json(
        nbtools("schedule", "add", "nb.ipynb", "-p", "days=5", "--pin-version", "1", "--json")
    )
    version_id = job["pinned_version_id"]
    for body in ("print('v2')", "print('v3')", "print('v4')"):  # `days` is gone from the file
        write_notebook(tmp_path, body, parameters="weeks = 1")
        assert nbtools("version", "save", "nb.ipynb").exit_code == 0

    project = Project(tmp_path)
    try:
        run = run_job_now(project, job["id"])
    finally:
        project.close()
    assert run["status"] == "succeeded", run["error"]
    assert printed(run) == "v1 5\n"
    assert run["lineage"]["notebook_version"] == {
        **run["lineage"]["notebook_version"],
        "id": version_id,
        "number": 1,
        "pinned": True,
    }

    unpin = nbtools("schedule", "edit", str(job["id"]), "--unpin")  # `days` is not on disk
    assert unpin.exit_code == 2
    assert "checked against the notebook version it is pinned to" in unpin.stderr
    assert nbtools("schedule", "remove", str(job["id"]), "--yes").exit_code == 0
    assert nbtools("version", "gc", "--keep", "1").exit_code == 0
    shown = as_json(nbtools("version", "show", "nb.ipynb", "1", "--json"))
    assert shown["references"] == [{"kind": "run", "ref": str(run["id"])}]

    again = as_json(nbtools("run", "--reproduce", str(run["id"]), "--json"))
    assert printed(again) == "v1 5\n"
    assert again["reproduction"]["environment"]["diff"]["empty"] is True
