"""The local executor: warm workers, fresh kernel per run, cancel, lost workers, and nothing
imported from the directory it was started in."""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path

import pytest

from nbtools.jobs.cancel import request_cancel
from nbtools.jobs.executors import UnknownExecutorError, executor_class
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.run_files import output_files
from nbtools.jobs.runs import get_run
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import RUNNING, SUCCEEDED
from nbtools.project import Project
from tests.conftest import NotebookFactory, plant
from tests.integration.jobs.conftest import (
    WAITS_FOR_GO,
    DoneLog,
    gone,
    own_executor,
    processes_with,
    request,
    spawner,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow


def test_registry_names_the_local_executor_and_refuses_unknown() -> None:
    assert executor_class("local") is LocalExecutor
    with pytest.raises(UnknownExecutorError, match="choose one of: dask, local"):
        executor_class("carrier-pigeon")


def test_workers_and_their_zygote_import_nothing_from_where_the_executor_started(
    project: Project,
    notebook_factory: NotebookFactory,
    done_log: DoneLog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server (or ``nbtools scheduler``) started in a directory where a user wrote a
    ``json.py``: its workers and the zygote forking their kernels never import it, whoever
    queues a run; the kernel runs in the notebook's directory and imports from there."""
    started_in = tmp_path / "server"
    started_in.mkdir()
    ran = plant(started_in)
    monkeypatch.chdir(started_in)
    parent = "import helper, os\nprint(helper.NAME, open(f'/proc/{os.getppid()}/cmdline').read())"
    notebook_factory("sub/nb.ipynb", [("code", parent, [])])
    (project.root / "sub" / "helper.py").write_text("NAME = 'beside the notebook'\n")
    with own_executor(done_log, project.root, 1) as pool:
        run = queue_run(project, "sub/nb.ipynb", {})
        pool.submit(request(project, run.id))
        assert done_log.wait(run.id) == SUCCEEDED
    finished = wait_for(project, run.id, lambda r: r.finished_at is not None)
    executed = json.loads(output_files(finished)["notebook"].read_bytes())
    printed = "".join(executed["cells"][0]["outputs"][0]["text"])
    assert printed.startswith("beside the notebook ")
    assert "nbtools.zygote_process" in printed  # its kernel was forked by the zygote
    assert not ran.exists(), ran.read_text()


def test_each_run_gets_its_own_fresh_kernel(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    notebook_factory(
        "pid.ipynb",
        [
            ("code", "n = 0", ["parameters"]),
            ("code", "import os\nassert 'leak' not in globals()\nleak = n\nprint(os.getpid())", []),
        ],
    )
    runs = [queue_run(project, "pid.ipynb", {"n": index}) for index in range(6)]
    for run in runs:
        executor.submit(request(project, run.id))
    assert [done_log.wait(run.id) for run in runs] == ["succeeded"] * 6
    pids = set()
    for run in runs:
        finished = wait_for(project, run.id, lambda r: r.finished_at is not None)
        executed = json.loads(output_files(finished)["notebook"].read_bytes())
        pids.add(executed["cells"][-1]["outputs"][0]["text"][0])
    assert len(pids) == 6


def test_cancel_stops_a_running_run_and_its_kernel(
    project: Project, sleeper: Path, executor: LocalExecutor, done_log: DoneLog
) -> None:
    run = queue_run(project, "sleep.ipynb", {})
    executor.submit(request(project, run.id))
    wait_for(project, run.id, lambda r: r.current_cell == 1)
    kernel_pid = int((project.root / "kernel.pid").read_text())
    request_cancel(project.store, run.id)
    assert done_log.wait(run.id) == "cancelled"
    assert gone(kernel_pid)


def test_a_killed_worker_is_reported_and_replaced(
    project: Project,
    sleeper: Path,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run = queue_run(project, "sleep.ipynb", {})
    executor.submit(request(project, run.id))
    running = wait_for(project, run.id, lambda r: r.current_cell == 1)
    worker_pid = int(running.worker.rsplit(":", 1)[1])
    assert worker_pid in executor.worker_pids()
    os.kill(worker_pid, signal.SIGKILL)
    assert done_log.wait(run.id) is None
    assert worker_pid not in executor.worker_pids()
    assert f"executor worker {worker_pid} was killed by SIGKILL" in caplog.text
    assert len(executor.worker_pids()) == executor.size
    notebook_factory("quick.ipynb", [("code", "1 + 1", [])])
    follow_ups = [queue_run(project, "quick.ipynb", {}) for _ in range(3)]
    for follow_up in follow_ups:
        executor.submit(request(project, follow_up.id))
    assert [done_log.wait(r.id) for r in follow_ups] == ["succeeded"] * 3


def test_a_broken_or_missing_notebook_fails_its_run_and_others_go_on(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    notebook_factory("fine.ipynb", [("code", "1 + 1", [])])
    missing = notebook_factory("gone.ipynb", [("code", "1 + 1", [])])
    broken = notebook_factory("broken.ipynb", [("code", "1 + 1", [])])
    runs = [queue_run(project, name, {}) for name in ("gone.ipynb", "broken.ipynb", "fine.ipynb")]
    missing.unlink()
    broken.write_text('{"nbformat": 4, "cells": [')
    for run in runs:
        executor.submit(request(project, run.id))
    assert [done_log.wait(run.id) for run in runs] == ["failed", "failed", "succeeded"]
    with project.store.session() as session:
        errors = [get_run(session, run.id).error_message for run in runs[:2]]
    assert errors[0] == "Notebook not found: gone.ipynb."
    assert errors[1] is not None
    assert "broken.ipynb is not valid JSON" in errors[1]


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_killed_workers_leave_no_process_and_no_open_file_behind(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    """The executor's host (a Jupyter server, a scheduler) keeps its descriptors flat however
    many workers die, and nothing their notebooks started survives them."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("spawn.ipynb", [("code", spawner(marker), [])])
    counts = []
    for _ in range(3):
        (project.root / "started").unlink(missing_ok=True)
        run = queue_run(project, "spawn.ipynb", {})
        executor.submit(request(project, run.id))
        wait_until(lambda: (project.root / "started").exists(), "the notebook to start")
        running = wait_for(project, run.id, lambda r: r.worker is not None)
        os.kill(int(running.worker.rsplit(":", 1)[1]), signal.SIGKILL)
        assert done_log.wait(run.id) is None
        assert processes_with(marker) == []
        wait_until(lambda: len(executor.worker_pids()) == executor.size, "a new worker")
        counts.append(open_files())
    assert counts[0] == counts[1] == counts[2], counts


def test_a_scheduler_claims_only_runs_its_free_workers_can_start(
    project: Project, notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """No run waits claimed in a busy scheduler: another scheduler with a free worker (or this
    one's successor after a restart) can take it at once, without waiting for a lease to end."""
    notebook_factory("wait.ipynb", [("code", WAITS_FOR_GO, [])])
    runs = [queue_run(project, "wait.ipynb", {}).id for _ in range(3)]
    pool = LocalExecutor(1, cwd=tmp_path)
    scheduler = Scheduler(project, pool)
    try:
        assert scheduler.tick().submitted == runs[:1]
        wait_for(project, runs[0], lambda run: run.status == RUNNING)
        assert scheduler.tick().submitted == []
        with project.store.session() as session:
            assert [get_run(session, run_id).lease_owner for run_id in runs[1:]] == [None, None]
        (project.root / "go").touch()
        wait_until(lambda: scheduler.tick().submitted == [runs[1]], "the second run's turn")
        wait_until(lambda: scheduler.tick().submitted == [runs[2]], "the third run's turn")
        for run_id in runs:
            assert wait_for(project, run_id, lambda run: run.finished_at is not None).status == (
                SUCCEEDED
            )
    finally:
        pool.shutdown()
