"""Several schedulers on one PostgreSQL database: no run twice, crashes and outages survived."""

from __future__ import annotations

import json
import logging
import multiprocessing
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import select

from nbtools.jobs import runs
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import Executor, RunRequest
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import SUCCEEDED, Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.clock import Clock
from tests.conftest import NotebookFactory, logged, make_notebook
from tests.integration.jobs.conftest import (
    ONCE_SLOW,
    WAITS_FOR_GO,
    DoneLog,
    kill_tree,
    request,
    scheduler_of,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow


class InstantExecutor(Executor):
    """Starts each submitted run through the store and ends it at once (no kernel): the
    scheduling paths (claims, starts) run for real, hundreds of times in seconds."""

    def __init__(self, project: Project, size: int, started: list[int]) -> None:
        super().__init__(size)
        self.project, self.started = project, started

    def start(self) -> None:
        pass

    def submit(self, request: RunRequest) -> None:
        store, worker = self.project.store, f"instant-{id(self)}"
        lease = request.lease_seconds
        if runs.claim(store, request.run_id, worker, token=request.token, lease_seconds=lease):
            self.started.append(request.run_id)
            runs.finish(store, request.run_id, worker, SUCCEEDED)
        if self.on_done is not None:
            self.on_done(request.run_id, SUCCEEDED)

    def pending(self) -> set[int]:
        return set()

    def shutdown(self) -> None:
        pass


def _schedule_in_step(
    root: str, db_url: str, start: datetime, minutes: int, barrier: Any, out: str
) -> None:
    project = Project(Path(root), db_url=db_url)
    clock = Clock(start)
    started: list[int] = []
    # A run's lease is stamped in real time but reaped in the simulated one, which runs up to
    # 170 minutes ahead: a lease of a day keeps a run that the other process has just claimed
    # from looking lost before it ends.
    scheduler = Scheduler(
        project, InstantExecutor(project, 3, started), clock=clock, lease_seconds=86400
    )
    for tick in range(minutes + 20):  # then 20 ticks to drain what job limits held back
        clock.now = start + timedelta(minutes=min(tick, minutes - 1), seconds=1)
        barrier.wait()
        scheduler.tick()
    Path(out).write_text(json.dumps(started))
    project.close()


def test_two_scheduler_processes_on_postgres_create_and_start_each_run_once(
    tmp_path: Path, postgres_url: str
) -> None:
    (tmp_path / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    project = Project(tmp_path, db_url=postgres_url)
    every_minute = create_job(
        project, {"notebook_path": "nb.ipynb", "cron": "* * * * *", "max_concurrent": 3}
    )
    create_job(project, {"notebook_path": "nb.ipynb", "cron": "*/7 * * * *", "max_concurrent": 2})
    backlog = [queue_run(project, "nb.ipynb", {}).id for _ in range(150)]
    assert every_minute.next_run_at is not None
    minutes = 150
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    outputs = [tmp_path / f"started-{index}.json" for index in range(2)]
    schedulers = [
        context.Process(
            target=_schedule_in_step,
            args=(
                str(tmp_path),
                postgres_url,
                every_minute.next_run_at,
                minutes,
                barrier,
                str(out),
            ),
        )
        for out in outputs
    ]
    for process in schedulers:
        process.start()
    try:
        for process in schedulers:
            # 170 lock-step ticks of two processes: seconds on a quiet machine, minutes on
            # a loaded one (join returns as soon as they are done).
            process.join(900)
            assert process.exitcode == 0
    finally:
        for process in schedulers:
            process.kill()
            process.join()
    with project.store.session() as session:
        created = list(session.scalars(select(Run)))
    project.close()
    assert (
        Counter((r.job_id, r.scheduled_for) for r in created if r.job_id).most_common(1)[0][1] == 1
    )
    first, second = (json.loads(out.read_text()) for out in outputs)
    assert set(first).isdisjoint(second)  # no run started by both schedulers
    assert min(len(first), len(second)) > 0  # both did share the work
    assert sorted(first + second) == sorted(run.id for run in created)
    assert set(backlog) <= set(first + second)
    assert {(run.status, run.attempt) for run in created} == {(SUCCEEDED, 1)}


def daemon(root: Path, db_url: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(root), "--db-url", db_url]
    command += ["scheduler", "--workers", "1", "--poll", "0.2", "--lease", "3"]
    return subprocess.Popen(command, stderr=subprocess.DEVNULL)


@pytest.fixture
def daemons(tmp_path: Path, postgres_url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    Project(tmp_path, db_url=postgres_url).store.close()  # migrate once, before both start
    started = [daemon(tmp_path, postgres_url) for _ in range(2)]
    yield started
    for process in started:
        if process.poll() is None:
            kill_tree(psutil.Process(process.pid))


def test_a_long_run_is_not_started_twice_and_a_killed_scheduler_s_run_is_retried(
    tmp_path: Path,
    postgres_url: str,
    notebook_factory: NotebookFactory,
    daemons: list[subprocess.Popen[bytes]],
) -> None:
    project = Project(tmp_path, db_url=postgres_url)
    notebook_factory("long.ipynb", [("code", "import time\ntime.sleep(7)", [])])
    long = queue_run(project, "long.ipynb", {})  # runs for over twice the 3 s lease
    assert wait_for(project, long.id, lambda r: r.finished_at is not None).status == SUCCEEDED

    notebook_factory("once.ipynb", ONCE_SLOW)
    job = create_job(
        project, {"notebook_path": "once.ipynb", "retries": 1, "retry_backoff_seconds": 0}
    )
    doomed = queue_run(project, "once.ipynb", {}, job=job)
    owner = scheduler_of(wait_for(project, doomed.id, lambda r: r.current_cell == 1))
    kill_tree(psutil.Process(owner))  # its machine "dies": scheduler, worker and kernel
    lost = wait_for(project, doomed.id, lambda r: r.finished_at is not None)
    assert (lost.status, lost.error_name) == ("failed", "WorkerLost")
    with project.store.session() as session:
        retry = session.scalars(select(Run).where(Run.retry_of == doomed.id)).one()
        assert session.scalars(select(Run).where(Run.notebook_path == "long.ipynb")).all()
    retried = wait_for(project, retry.id, lambda r: r.finished_at is not None)
    assert (retried.status, retried.attempt) == (SUCCEEDED, 2)
    survivor = next(process.pid for process in daemons if process.pid != owner)
    assert scheduler_of(retried) == survivor
    with project.store.session() as session:
        all_runs = list(session.scalars(select(Run).order_by(Run.id)))
    assert [(run.id, run.attempt) for run in all_runs] == [
        (long.id, 1),
        (doomed.id, 1),
        (retry.id, 2),
    ]
    project.close()


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A PostgreSQL server of this test's own, which it may restart."""
    from tests.postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found: run `make postgres`")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


def test_the_scheduler_loop_survives_a_database_restart(
    tmp_path: Path, own_postgres: Any, notebook_factory: NotebookFactory
) -> None:
    """The run in flight spans the outage: it ends (a ``go`` file) once the database is back
    and a run is queued after it."""
    project = Project(tmp_path, db_url=own_postgres.create_database("restart"))
    notebook_factory("quick.ipynb", [("code", "n = 0", [])])
    notebook_factory("held.ipynb", [("code", WAITS_FOR_GO, [])])
    executor = LocalExecutor(1, cwd=tmp_path)
    scheduler = Scheduler(project, executor, poll_seconds=0.2)
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(stop,))
    loop.start()
    try:
        before = queue_run(project, "quick.ipynb", {})
        assert wait_for(project, before.id, lambda r: r.finished_at is not None).status == SUCCEEDED
        spanning = queue_run(project, "held.ipynb", {})
        wait_until((tmp_path / "started").exists, "the run to start")
        with logged(logging.getLogger("nbtools")) as said:
            own_postgres.shutdown()  # the database goes away mid-run, for longer than a tick
            wait_until(lambda: any("tick failed" in line for line in said.lines), "a failed tick")
        own_postgres.start()
        after = queue_run(project, "quick.ipynb", {})
        (tmp_path / "go").touch()
        assert wait_for(project, after.id, lambda r: r.finished_at is not None).status == SUCCEEDED
        done = wait_for(project, spanning.id, lambda r: r.finished_at is not None)
        assert (done.status, done.attempt) == (SUCCEEDED, 1)
        assert loop.is_alive()
        with project.store.session() as session:
            assert list(session.scalars(select(Run.id).order_by(Run.id))) == [
                before.id,
                spanning.id,
                after.id,
            ]
    finally:
        stop.set()
        scheduler.wake()
        loop.join(30)
        executor.shutdown()
        project.close()


def test_a_worker_whose_run_was_reaped_stops_its_kernel(
    project: Project, sleeper: Path, executor: LocalExecutor, done_log: DoneLog
) -> None:
    """Another scheduler took the run for lost (its clock says the lease ran out): the worker
    learns it at its next heartbeat and kills its kernel, so no retry runs beside it."""
    job = create_job(project, {"notebook_path": "sleep.ipynb", "retries": 1})
    run = queue_run(project, "sleep.ipynb", {}, job=job)
    executor.submit(request(project, run.id))
    wait_for(project, run.id, lambda r: r.current_cell == 1)
    kernel = psutil.Process(int((project.root / "kernel.pid").read_text()))
    later = utcnow() + timedelta(hours=1)
    assert Scheduler(project, clock=lambda: later).tick().reaped == [run.id]
    assert done_log.wait(run.id) == "failed"  # at the next heartbeat, not after 120 s
    psutil.wait_procs([kernel], timeout=10)
    assert not kernel.is_running() or kernel.status() == psutil.STATUS_ZOMBIE
    with project.store.session() as session:
        ended, retry = session.scalars(select(Run).where(Run.job_id == job.id).order_by(Run.id))
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert "stopped responding" in (ended.error_message or "")  # the reaper's word stands
    assert (retry.status, retry.attempt) == ("queued", 2)
