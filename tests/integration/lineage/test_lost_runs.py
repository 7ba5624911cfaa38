"""A run whose worker is killed (SIGKILL) or stopped keeps its lineage: the notebook version it
executed and its kernel's environment are on the run while it executes, whoever ends it."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from nbtools import lineage, versioning
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.runs import claim, get_run
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.lineage.events import RUN
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import daemon, wait_for  # noqa: F401 - a fixture
from tests.integration.jobs.test_lost_runs import reaped, worker_pid

pytestmark = pytest.mark.slow


def test_a_killed_run_keeps_the_version_and_environment_it_ran(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """Both are on the run while it executes; the worker is killed (the executor ends the
    run lost): the run names them, and can be reproduced exactly. They were stored only
    with the run's own end, which a killed worker never records."""
    notebook_factory("slow.ipynb", [("code", "import time\ntime.sleep(60)", [])])
    executor = LocalExecutor(1, cwd=project.root)
    scheduler = Scheduler(project, executor)
    try:
        run = queue_run(project, "slow.ipynb", {})
        assert scheduler.tick().submitted == [run.id]
        running = wait_for(
            project,
            run.id,
            lambda r: r.notebook_version_id is not None and r.env_snapshot_id is not None,
        )
        assert running.status == "running"
        os.kill(worker_pid(running), signal.SIGKILL)
        ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
    finally:
        executor.shutdown()
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert (ended.notebook_version_id, ended.env_snapshot_id) == (
        running.notebook_version_id,
        running.env_snapshot_id,
    )
    plan = lineage.plan_reproduction(project, run.id)
    assert plan.version.id == running.notebook_version_id


def test_a_run_stopped_with_its_scheduler_keeps_its_lineage(
    project: Project,
    notebook_factory: NotebookFactory,
    daemon: subprocess.Popen[bytes],  # noqa: F811 - the imported fixture
) -> None:
    """``nbtools scheduler`` stopped (SIGTERM) while the run executes: the run ends, and names
    the version and environment it ran in. It said 'no notebook version recorded'."""
    notebook_factory("slow.ipynb", [("code", "import time\ntime.sleep(60)", [])])
    run = queue_run(project, "slow.ipynb", {})
    running = wait_for(project, run.id, lambda r: r.env_snapshot_id is not None)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    ended = wait_for(project, run.id, lambda r: True)
    if ended.finished_at is None:  # left running: ended by the next reader past its lease
        ended = reaped(project, ended)
    assert ended.status in ("failed", "cancelled")
    assert (ended.notebook_version_id, ended.env_snapshot_id) == (
        running.notebook_version_id,
        running.env_snapshot_id,
    )
    assert running.notebook_version_id is not None


def test_a_run_ended_elsewhere_takes_the_version_its_reference_pins(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """The version was committed and pinned as ``run <id>``, and the worker died before it
    stored the id on the run: the process that reaps the run records it."""
    path = notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    run = queue_run(project, "nb.ipynb", {})
    assert claim(project.store, run.id, "gone:1") is not None
    version = versioning.commit(project, "nb.ipynb", path.read_bytes())
    versioning.pin(project, version.id, RUN, str(run.id))
    with project.store.session() as session:
        running = get_run(session, run.id)
    ended = reaped(project, running)
    assert (ended.status, ended.notebook_version_id) == ("failed", version.id)
