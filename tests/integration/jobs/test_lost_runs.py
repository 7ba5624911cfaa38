"""Runs whose worker was killed (SIGKILL), ended ``WorkerLost`` by another process: they keep
the datasets they used and the notebook they saved, and no process of their kernel stays."""

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
from nbtools.jobs.runs import get_run, run_dir
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
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
    cells = [READ, "import time\ntime.sleep(5)", spawner(marker)]  # saved as the third starts
    notebook_factory("nb.ipynb", [("code", source, []) for source in cells])
    executor = LocalExecutor(1, cwd=project.root)
    scheduler = Scheduler(project, executor)
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
