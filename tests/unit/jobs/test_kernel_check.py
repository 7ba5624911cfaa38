"""A kernel that is not installed (docs/jobs.md, "Kernels"): ``nbtools run``, which executes
the run itself, refuses it as bad input before any run is recorded; a job, which a scheduler
may run on another machine, refuses it unless the kernel check is turned off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools import jobs
from nbtools.cli.app import cli
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.project import Project
from tests.conftest import make_notebook


def nbtools(root: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args], env=env or None)


def listed(root: Path, what: str) -> list[dict[str, Any]]:
    command = ("runs", "list") if what == "runs" else ("schedule", "list")
    found: list[dict[str, Any]] = json.loads(nbtools(root, *command, "--json").stdout)
    return found


@pytest.fixture
def notebook(project: Project) -> str:
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    return "nb.ipynb"


def test_run_refuses_an_unknown_kernel_before_recording_a_run(
    project: Project, notebook: str
) -> None:
    result = nbtools(project.root, "run", notebook, "--kernel", "nosuch", "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["error"] == "NotFoundError"
    assert error["details"]["field"] == "kernel_name"
    assert "python3" in error["details"]["kernels"]
    assert error["message"].startswith("No kernel named 'nosuch'. Installed kernels: ")
    assert "kernel check" not in error["message"]  # it runs here: nothing to turn off
    assert "metadata.kernelspec" not in error["message"]  # the name is the one given
    assert "See --kernel." in result.stderr
    assert listed(project.root, "runs") == []


def test_run_refuses_the_notebook_s_own_kernel_when_it_is_not_installed(
    project: Project,
) -> None:
    (project.root / "r.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])], "ir")))
    result = nbtools(project.root, "run", "r.ipynb")
    assert result.exit_code == 2, result.output
    assert "No kernel named 'ir'. Installed kernels: " in result.stderr
    # the name came from the notebook, not from the command line: said, with the way out
    assert result.stderr.endswith(
        "The name is r.ipynb's own (its metadata.kernelspec.name): give the run another "
        "kernel, or change the notebook's kernel. See --kernel.\n"
    )
    assert listed(project.root, "runs") == []


def test_run_refuses_a_kernel_whose_spec_is_broken_naming_its_file(
    project: Project, notebook: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    kernels = tmp_path_factory.mktemp("jupyter") / "kernels" / "broken"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text("{")
    result = nbtools(
        project.root,
        "run",
        notebook,
        "--kernel",
        "broken",
        JUPYTER_PATH=str(kernels.parent.parent),
    )
    assert result.exit_code == 2, result.output
    assert f"Kernel 'broken' has an invalid spec file, {kernels / 'kernel.json'}" in result.stderr
    assert listed(project.root, "runs") == []


def test_schedule_add_and_edit_refuse_an_unknown_kernel_unless_told_it_is_elsewhere(
    project: Project, notebook: str
) -> None:
    refused = nbtools(project.root, "schedule", "add", notebook, "--kernel", "nosuch", "--json")
    assert refused.exit_code == 2, refused.output
    error = json.loads(refused.stdout)
    assert (error["error"], error["details"]["field"]) == ("NotFoundError", "kernel_name")
    assert error["message"].endswith(
        "If it is installed where the scheduler executes the runs, turn the kernel check off "
        "with --no-kernel-check. See --kernel."
    )
    assert listed(project.root, "jobs") == []

    added = nbtools(
        project.root, "schedule", "add", notebook, "--kernel", "nosuch", "--no-kernel-check"
    )
    assert added.exit_code == 0, added.output
    job = listed(project.root, "jobs")[0]
    assert job["kernel_name"] == "nosuch"
    # the kernel kept is not checked again when something else changes
    kept = nbtools(project.root, "schedule", "edit", str(job["id"]), "--cron", "daily")
    assert kept.exit_code == 0, kept.output

    other = nbtools(project.root, "schedule", "edit", str(job["id"]), "--kernel", "nosuch2")
    assert other.exit_code == 2, other.output
    assert "No kernel named 'nosuch2'" in other.stderr
    assert "--no-kernel-check" in other.stderr
    assert listed(project.root, "jobs")[0]["kernel_name"] == "nosuch"
    installed = nbtools(project.root, "schedule", "edit", str(job["id"]), "--kernel", "python3")
    assert installed.exit_code == 0, installed.output
    assert listed(project.root, "jobs")[0]["kernel_name"] == "python3"


def test_the_faces_check_a_kernel_a_scheduler_runs_unless_asked_not_to(
    project: Project, notebook: str
) -> None:
    with pytest.raises(NotFoundError, match="turn the kernel check off") as info:
        jobs.run_notebook(project, notebook, {}, kernel_name="nosuch")
    assert info.value.details["kernel_check"] is True
    with pytest.raises(NotFoundError, match="No kernel named 'nosuch'"):
        jobs.create_job(project, {"notebook_path": notebook, "kernel_name": "nosuch"})
    assert jobs.list_runs(project) == []
    assert jobs.list_jobs(project) == []
    run = jobs.run_notebook(project, notebook, {}, kernel_name="nosuch", kernel_check=False)
    assert run.status == "queued"
    job = jobs.create_job(
        project, {"notebook_path": notebook, "kernel_name": "nosuch"}, kernel_check=False
    )
    with pytest.raises(NotFoundError, match="No kernel named 'other'"):
        jobs.update_job(project, job.id, {"kernel_name": "other"})
    assert jobs.show_job(project, job.id).kernel_name == "nosuch"
    # the notebook's own kernel is the scheduler's business: not checked here
    (project.root / "r.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])], "ir")))
    assert jobs.run_notebook(project, "r.ipynb", {}).status == "queued"


def test_a_kernel_name_of_the_wrong_type_is_still_400(project: Project, notebook: str) -> None:
    with pytest.raises(InvalidInputError, match="kernel_name must be a kernel name"):
        jobs.create_job(project, {"notebook_path": notebook, "kernel_name": 3})
