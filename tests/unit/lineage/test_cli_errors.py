"""Bad input to the lineage commands: exit 2 with a message saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs import runs
from nbtools.jobs.cancel import request_cancel
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory


def nbtools(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--reproduce", "99"), "Run 99 does not exist"),
        (("run", "--reproduce", "1", "nb.ipynb"), "give no NOTEBOOK, -p, -f, -y, --kernel"),
        (("run", "--reproduce", "1", "-p", "n=1"), "give no NOTEBOOK, -p, -f, -y, --kernel"),
        (("run",), "Give the NOTEBOOK to run, or --reproduce RUN"),
        (("run", "nb.ipynb", "--same-env"), "--same-env applies only with --reproduce"),
        (("schedule", "add", "nb.ipynb", "--pin-version", "9"), "nb.ipynb has no versions yet"),
        (("schedule", "add", "nb.ipynb", "--pin-version", "v1"), "not a version reference"),
        # the flag that gave the version is named (the library's field is the version's, ref)
        (("schedule", "add", "nb.ipynb", "--pin-version", "9"), "See --pin-version."),
    ],
)
def test_bad_input_exits_2(
    project: Project, notebook_factory: NotebookFactory, args: tuple[str, ...], message: str
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    code, stderr = nbtools(project.root, *args)
    assert code == 2
    assert message in stderr


def test_a_run_without_lineage_cannot_be_reproduced(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    run = queue_run(project, "nb.ipynb", {"n": 3})
    request_cancel(project.store, run.id)  # it never starts, so it records no lineage
    code, stderr = nbtools(project.root, "run", "--reproduce", str(run.id))
    assert code == 2
    assert "Run 1 has no recorded notebook version" in stderr
    assert "`nbtools runs rerun 1`" in stderr
    shown = CliRunner().invoke(cli, ["--root", str(project.root), "runs", "show", "1"])
    assert "no notebook version recorded, no environment recorded" in shown.stdout


def test_a_run_not_ended_yet_cannot_be_reproduced_and_the_error_says_what_to_do(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A queued run was said to have "never started" (as if it never would); a running one
    too: each says where it is, to wait for its end, or to cancel it."""
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    queued = queue_run(project, "nb.ipynb", {"n": 3})
    code, stderr = nbtools(project.root, "run", "--reproduce", str(queued.id))
    assert code == 2
    assert "never started" not in stderr
    assert (
        f"Run {queued.id} is still queued: it has not run yet, so there is no notebook "
        "version to reproduce. Wait until it has ended"
    ) in stderr
    assert f"`nbtools runs cancel {queued.id}`" in stderr
    running = queue_run(project, "nb.ipynb", {"n": 4})
    assert runs.claim(project.store, running.id, "worker-1") is not None
    code, stderr = nbtools(project.root, "run", "--reproduce", str(running.id))
    assert code == 2
    assert (
        f"Run {running.id} is still running: its notebook version is recorded when it ends"
    ) in stderr
    assert f"`nbtools runs cancel {running.id}`" in stderr


def test_pin_and_unpin_together_is_refused(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    assert nbtools(project.root, "version", "save", "nb.ipynb")[0] == 0
    assert nbtools(project.root, "schedule", "add", "nb.ipynb", "--pin-version", "1")[0] == 0
    code, stderr = nbtools(project.root, "schedule", "edit", "1", "--pin-version", "1", "--unpin")
    assert code == 2
    assert "either --pin-version or --unpin" in stderr
