"""The scheduler's connection to a real Dask scheduler process: lost and found again when the
Dask scheduler restarts."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.jobs.submit import queue_run
from nbtools.processes import kill_tree
from nbtools.project import Project
from tests.conftest import NotebookFactory, logged
from tests.integration.jobs.conftest import Running, dask_scheduler, wait_for, wait_until
from tests.postgres import free_port

pytestmark = pytest.mark.slow

#: The ``dask`` command of this environment.
DASK = str(Path(sys.executable).parent / "dask")


class DaskProcesses:
    """``dask scheduler`` and one ``dask worker`` (one thread, no nanny) on a fixed port, so
    that they can be stopped and started again at the same address."""

    def __init__(self) -> None:
        self.port = free_port()
        self.scheduler_address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        scheduler = [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port)]
        worker = [DASK, "worker", self.scheduler_address, "--nthreads", "1", "--no-nanny"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.processes = [
            subprocess.Popen([*scheduler, "--no-dashboard"], **quiet),  # type: ignore[call-overload]
            subprocess.Popen([*worker, "--no-dashboard"], **quiet),  # type: ignore[call-overload]
        ]

    def kill(self) -> None:
        for process in self.processes:
            kill_tree(process.pid)
            process.wait()


@pytest.fixture
def dask_processes() -> Iterator[DaskProcesses]:
    processes = DaskProcesses()
    processes.start()
    yield processes
    processes.kill()


@pytest.mark.parametrize("workers", [0, 1])
def test_the_scheduler_reconnects_when_the_dask_scheduler_restarts(
    dask_project: Project,
    notebook_factory: NotebookFactory,
    dask_processes: DaskProcesses,
    workers: int,
) -> None:
    """Once Dask gave up reconnecting its client (the Dask scheduler away for longer than the
    connect timeout), every tick failed with "'NoneType' object has no attribute 'ncores'"
    (with --workers: a ClosedClientError traceback at each claim), for ever: queued runs
    never ran. The scheduler now connects again, saying so in one line each."""
    notebook_factory("mark.ipynb", [("code", "print('ran')", [])])
    nbtools_log, dask_log = logging.getLogger("nbtools"), logging.getLogger("distributed.client")
    with logged(nbtools_log) as said, logged(dask_log) as dask_said:
        running = Running(dask_scheduler(dask_project, dask_processes, workers=workers))
        try:
            first = queue_run(dask_project, "mark.ipynb", {})
            assert wait_for(dask_project, first.id, lambda r: r.finished_at is not None).status == (
                "succeeded"
            )
            dask_processes.kill()
            wait_until(
                lambda: any("Failed to reconnect" in line for line in dask_said.lines),
                "Dask to give up reconnecting its client",
            )
            dask_processes.start()
            second = queue_run(dask_project, "mark.ipynb", {})
            done = wait_for(dask_project, second.id, lambda r: r.finished_at is not None)
            assert done.status == "succeeded", done.error_message
        finally:
            running.stop()
    lines = said.lines
    assert not [line for line in lines if "Traceback" in line]
    lost = f"nbtools: lost the Dask scheduler at {dask_processes.scheduler_address}"
    assert sum(line.startswith(lost) for line in lines) == 1
    back = f"nbtools: connected to the Dask scheduler at {dask_processes.scheduler_address} again"
    assert lines.count(back) == 1
