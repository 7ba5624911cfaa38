"""``nbtools runs cancel RUN --wait`` on a running run, its worker played by the store calls a
worker makes (claim, finish): the command says how the run ended, also when it ended some other
way before the worker saw the cancel."""

from __future__ import annotations

import threading

from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs import runs
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory


def test_a_run_that_ends_before_the_cancel_takes_effect_is_said_to_have(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "1", [])])
    run_id = queue_run(project, "nb.ipynb", {}).id
    assert runs.claim(project.store, run_id, "worker-1", lease_seconds=30) is not None

    def finish_first() -> None:  # the last cell ended as the cancel came in
        runs.finish(project.store, run_id, "worker-1", "succeeded")

    finisher = threading.Timer(0.5, finish_first)
    finisher.start()
    try:
        waited = CliRunner().invoke(
            cli, ["--root", str(project.root), "runs", "cancel", str(run_id), "--wait"]
        )
    finally:
        finisher.join()
    assert waited.exit_code == 0, waited.output
    assert waited.stdout == f"Run {run_id} ended succeeded before the cancel took effect.\n"


def test_without_wait_a_running_run_is_asked_to_stop(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "1", [])])
    run_id = queue_run(project, "nb.ipynb", {}).id
    assert runs.claim(project.store, run_id, "worker-1", lease_seconds=30) is not None
    asked = CliRunner().invoke(cli, ["--root", str(project.root), "runs", "cancel", str(run_id)])
    assert (asked.exit_code, asked.stdout) == (0, f"Run {run_id}: cancel requested.\n")
    with project.store.session() as session:
        run = runs.get_run(session, run_id)
        assert (run.status, run.cancel_requested) == ("running", True)
