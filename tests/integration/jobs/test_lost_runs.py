"""Runs whose worker was killed (SIGKILL), ended ``WorkerLost`` by another process: they keep
the datasets they used and the notebook they saved, and no process of their kernel stays,
whatever the kernel (a ``python -m`` one, forked or not, or a wrapper script)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.runs import get_run
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
    PROGRESS_SAVE_SECONDS,
    UNTIL_SAVED,
    group_gone,
    processes_with,
    spawner,
    started_kernel,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow

#: Notebook code: read the personal dataset ``customers`` and show its rows.
READ = "import nbtools.data\nprint(open(nbtools.data.path('customers')).read())"
NBTOOLS = str(Path(sys.executable).parent / "nbtools")


def nbtools_json(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--root", str(root), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def catalogue(root: Path) -> None:
    """The dataset ``customers``: personal, for the purpose ``churn`` only."""
    (root / "c.csv").write_text("id,email\n1,a@b.c\n")
    args = ["data", "add", "customers", "c.csv", "--classification", "personal"]
    added = CliRunner().invoke(cli, ["--root", str(root), *args, "--purpose", "churn"])
    assert added.exit_code == 0, added.output


@pytest.fixture
def marker() -> Iterator[str]:
    """A mark for the command line of a process the notebook starts; one left running when
    the test failed is killed after it."""
    mark = f"nbtools-test-{uuid.uuid4().hex}"
    yield mark
    for pid in processes_with(mark):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def worker_pid(run: Run) -> int:
    assert run.worker is not None
    return int(run.worker.rsplit(":", 1)[1])


def reaped(project: Project, running: Run) -> Run:
    """``running`` ended by a reader that comes once its lease has expired."""
    assert running.heartbeat_at is not None
    later = running.heartbeat_at + timedelta(minutes=10)
    assert Scheduler(project, clock=lambda: later).tick().reaped == [running.id]
    with project.store.session() as session:
        return get_run(session, running.id)


def used_by(root: Path) -> list[dict[str, Any]]:
    """The runs ``nbtools data usage customers`` lists."""
    runs: list[dict[str, Any]] = nbtools_json(root, "data", "usage", "customers")["runs"]
    return runs


def test_a_run_whose_worker_is_killed_keeps_its_datasets_and_saved_notebook(
    project: Project, notebook_factory: NotebookFactory, marker: str
) -> None:
    """The local executor sees its worker die and ends the run lost at once: the dataset the
    run read is the run's (``data usage`` lists it), the notebook it had saved (holding the
    dataset's rows) is its output, found and erased by a purge, and the kernel's process
    group (forked from the zygote) is gone."""
    catalogue(project.root)
    cells = [READ, UNTIL_SAVED, spawner(marker)]  # saved before the third starts
    notebook_factory("nb.ipynb", [("code", source, []) for source in cells])
    executor = LocalExecutor(1, cwd=project.root)
    scheduler = Scheduler(project, executor, progress_save_seconds=PROGRESS_SAVE_SECONDS)
    try:
        run = queue_run(project, "nb.ipynb", {}, purpose="churn")
        assert scheduler.tick().submitted == [run.id]
        group = os.getpgid(started_kernel(project).pid)
        saved = run_dir(project, run.id) / "nb.ipynb"
        assert saved.is_file()  # saved before the cell that started the child ran
        running = wait_for(project, run.id, lambda r: r.status == "running")
        assert running.outputs == []  # no output while it runs, though it has a directory
        os.kill(worker_pid(running), signal.SIGKILL)
        ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
    finally:
        executor.shutdown()
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert ended.outputs == ["notebook"]
    wait_until(
        lambda: processes_with(marker) == [] and group_gone(group), "the kernel's group to go"
    )
    (usage,) = used_by(project.root)
    assert (usage["run_id"], usage["mode"], usage["status"]) == (run.id, "read", "failed")
    assert usage["files"] == {"notebook": str(saved)}
    assert "a@b.c" in saved.read_text()  # the partial notebook holds the dataset's rows
    purged = nbtools_json(project.root, "data", "usage", "customers", "--purge", "--yes")
    assert purged["files"] == [str(saved)]
    assert not saved.exists()


def test_a_wrapper_kernel_goes_with_its_killed_scheduler_and_worker(
    project: Project,
    notebook_factory: NotebookFactory,
    marker: str,
    wrapper_kernel: str,
    daemon: subprocess.Popen[bytes],
) -> None:
    """Scheduler and worker killed at once (SIGKILL), so no nbtools process is left to stop
    the run's kernel: a kernel the zygote does not fork (here a wrapper script) watches its
    worker, and its process group goes with it. Before, the kernel ended alone and what its
    notebook started ran on. The next reader after the lease ends the run lost, with the
    dataset it read and no output (it had saved no notebook yet)."""
    catalogue(project.root)
    notebook_factory("nb.ipynb", [("code", READ, []), ("code", spawner(marker), [])])
    run = queue_run(project, "nb.ipynb", {}, kernel_name=wrapper_kernel, purpose="churn")
    group = os.getpgid(started_kernel(project).pid)
    running = wait_for(project, run.id, lambda r: r.status == "running")
    doomed = [daemon.pid, worker_pid(running)]
    for pid in doomed:  # neither may act before both are killed
        os.kill(pid, signal.SIGSTOP)
    for pid in doomed:
        os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: processes_with(marker) == [] and group_gone(group), "the kernel's group to go"
    )
    ended = reaped(project, running)
    assert (ended.status, ended.error_name, ended.outputs) == ("failed", "WorkerLost", [])
    assert [usage["run_id"] for usage in used_by(project.root)] == [run.id]


def test_a_killed_cli_run_of_a_wrapper_kernel_leaves_no_process_and_keeps_its_datasets(
    tmp_path: Path, notebook_factory: NotebookFactory, marker: str, wrapper_kernel: str
) -> None:
    """``nbtools run`` killed outright (SIGKILL): its kernel, a wrapper script, runs under a
    supervisor that kills its process group once ``nbtools run`` is gone. The run, ended
    lost by the next reader, keeps the dataset it read."""
    catalogue(tmp_path)
    cells = [("code", READ, []), ("code", spawner(marker), [])]
    notebook_factory("nb.ipynb", cells, kernel=wrapper_kernel)
    with (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(
            [NBTOOLS, "--root", str(tmp_path), "run", "nb.ipynb", "--purpose", "churn"],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    project = Project(tmp_path)
    try:
        group = os.getpgid(started_kernel(project).pid)
        running = wait_for(project, 1, lambda r: r.status == "running")
        process.kill()
        process.wait()
        wait_until(
            lambda: processes_with(marker) == [] and group_gone(group),
            "the kernel's group to go",
        )
        ended = reaped(project, running)
    finally:
        project.close()
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert [usage["run_id"] for usage in used_by(tmp_path)] == [1]
