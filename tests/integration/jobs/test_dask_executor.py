"""The Dask executor on a real LocalCluster of worker processes, with PostgreSQL as the store."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nbtools.errors import InvalidInputError
from nbtools.jobs.cancel import request_cancel
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors import create_executor
from nbtools.jobs.presence import Presence, alive_window
from nbtools.jobs.run_files import output_files
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory, logged, make_notebook
from tests.integration.jobs.conftest import (
    ONCE_SLOW,
    WAITS_FOR_GO,
    Running,
    dask_scheduler,
    gone,
    wait_for,
)

pytestmark = pytest.mark.slow

#: Runs after which a worker's open event loops and file descriptors are compared.
RUNS = 8


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture
def scheduler(dask_project: Project, cluster: Any) -> Iterator[Scheduler]:
    running = Running(
        dask_scheduler(dask_project, cluster, storage=(dask_project.root / "shared").as_uri())
    )
    yield running.scheduler
    running.stop()


def worker_pids(cluster: Any) -> set[int]:
    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        return set(client.run(os.getpid).values())


def open_loops_and_fds() -> tuple[int, int]:
    """On a worker: its event loops not closed, and its open file descriptors."""
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    return sum(not loop.is_closed() for loop in loops), len(os.listdir("/proc/self/fd"))


def workers_loops_and_fds(client: Any) -> tuple[int, int]:
    """The open event loops and file descriptors of all the workers of ``client``'s cluster."""
    counts = client.run(open_loops_and_fds).values()
    return sum(loops for loops, _ in counts), sum(fds for _, fds in counts)


def test_runs_leave_their_worker_s_event_loops_and_file_descriptors_as_they_were(
    dask_project: Project,
    notebook_factory: NotebookFactory,
    cluster: Any,
    scheduler: Scheduler,
) -> None:
    """jupyter_core keeps an event loop per context for the kernel calls, and Dask runs each
    task in a new context: every run left a new loop open on its worker, with its selector
    and wake-up pipe (three file descriptors), for the worker's life. Each task closes its
    own now."""
    from distributed import Client

    notebook_factory("hello.ipynb", [("code", "print('hello')", [])])

    executor = scheduler.executor
    assert executor is not None

    def run_all(count: int) -> None:
        queued = [queue_run(dask_project, "hello.ipynb", {}).id for _ in range(count)]
        for run_id in queued:
            done = wait_for(dask_project, run_id, lambda r: r.finished_at is not None)
            assert done.status == "succeeded", done.error_message
        wait_until(lambda: not executor.pending())  # the tasks' ends, after their runs'

    run_all(4)  # each worker thread has its pre-started kernel from here on
    with Client(cluster.scheduler_address) as client:  # one: its connections stay open
        loops, fds = workers_loops_and_fds(client)
        run_all(RUNS)
        more_loops, more_fds = workers_loops_and_fds(client)
    assert more_loops == loops
    # a descriptor or two come and go with Dask's own connections; a leak is 3 per run
    assert more_fds - fds < RUNS


def test_the_dask_executor_needs_an_address_and_is_registered() -> None:
    with pytest.raises(InvalidInputError, match=r"\(JobsSettings\.dask_address\)"):
        create_executor("dask", None, cwd=Path.cwd())


def test_runs_execute_on_workers_with_outputs_in_shared_storage(
    dask_project: Project,
    notebook_factory: NotebookFactory,
    cluster: Any,
    scheduler: Scheduler,
) -> None:
    notebook_factory(
        "pid.ipynb", [("code", "n = 0", ["parameters"]), ("code", "import os\nprint(n)", [])]
    )
    queued = [queue_run(dask_project, "pid.ipynb", {"n": index}).id for index in range(4)]
    finished = [
        wait_for(dask_project, run_id, lambda r: r.finished_at is not None) for run_id in queued
    ]
    assert [run.status for run in finished] == ["succeeded"] * 4
    pids = worker_pids(cluster)
    assert {int(run.worker.rsplit(":", 1)[1]) for run in finished if run.worker} <= pids
    shared = dask_project.root / "shared"
    for index, run in enumerate(finished):
        assert run.output_dir == str(shared / "runs" / str(run.id))
        notebook = output_files(run)["notebook"]
        assert f"{index}\n".encode() in notebook.read_bytes()
    assert len(list((shared / "inputs").glob("*.ipynb"))) == 1  # staged once, by content


def test_a_run_s_notebook_reads_the_scheduler_s_store_on_the_worker(
    dask_project: Project, notebook_factory: NotebookFactory, scheduler: Scheduler
) -> None:
    """The worker's kernel found the project by its directory and opened (made) its SQLite
    file: ``nbtools.artifacts`` and ``nbtools.data`` in the notebook read another store."""
    code = "from nbtools.project import project_from_environment as p\nprint(p().db_url)"
    notebook_factory("store.ipynb", [("code", code, [])])
    run = queue_run(dask_project, "store.ipynb", {})
    done = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
    assert done.status == "succeeded", done.error_message
    executed = json.loads(output_files(done)["notebook"].read_bytes())
    assert executed["cells"][0]["outputs"][0]["text"] == [f"{dask_project.db_url}\n"]
    assert not (dask_project.store_dir / "nbtools.db").exists()


def test_cancel_and_timeout_stop_the_kernel_on_the_worker(
    dask_project: Project, notebook_factory: NotebookFactory, sleeper: Path, scheduler: Scheduler
) -> None:
    run = queue_run(dask_project, "sleep.ipynb", {})
    wait_for(dask_project, run.id, lambda r: r.current_cell == 1)
    kernel_pid = int((dask_project.root / "kernel.pid").read_text())
    request_cancel(dask_project.store, run.id)
    cancelled = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
    assert cancelled.status == "cancelled"
    assert gone(kernel_pid)

    slow = queue_run(dask_project, "sleep.ipynb", {}, timeout_seconds=2)
    timed_out = wait_for(dask_project, slow.id, lambda r: r.finished_at is not None)
    assert (timed_out.status, timed_out.error_name) == ("timed_out", "TimeoutError")


def test_a_worker_lost_mid_run_is_retried_on_another_worker(
    dask_project: Project, notebook_factory: NotebookFactory, cluster: Any, scheduler: Scheduler
) -> None:
    notebook_factory("once.ipynb", ONCE_SLOW)
    job = create_job(
        dask_project, {"notebook_path": "once.ipynb", "retries": 1, "retry_backoff_seconds": 0}
    )
    first = queue_run(dask_project, "once.ipynb", {}, job=job)
    running = wait_for(dask_project, first.id, lambda r: r.current_cell == 1)
    assert running.worker is not None
    lost_pid = int(running.worker.rsplit(":", 1)[1])
    os.kill(lost_pid, signal.SIGKILL)
    lost = wait_for(dask_project, first.id, lambda r: r.finished_at is not None)
    assert (lost.status, lost.error_name) == ("failed", "WorkerLost")
    assert "Dask worker" in (lost.error_message or "")
    with dask_project.store.session() as session:
        retry = session.scalars(select(Run).where(Run.retry_of == first.id)).one()
    retried = wait_for(dask_project, retry.id, lambda r: r.finished_at is not None)
    assert (retried.status, retried.attempt) == ("succeeded", 2)
    assert retried.worker != running.worker


def test_without_retries_a_lost_worker_fails_the_run_with_its_cause(
    dask_project: Project, notebook_factory: NotebookFactory, scheduler: Scheduler
) -> None:
    notebook_factory("once.ipynb", ONCE_SLOW)
    run = queue_run(dask_project, "once.ipynb", {})
    running = wait_for(dask_project, run.id, lambda r: r.current_cell == 1)
    assert running.worker is not None
    os.kill(int(running.worker.rsplit(":", 1)[1]), signal.SIGKILL)
    lost = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
    assert (lost.status, lost.error_name) == ("failed", "WorkerLost")
    with dask_project.store.session() as session:
        assert session.scalars(select(Run).where(Run.retry_of == run.id)).all() == []


def test_a_task_that_raises_fails_its_run_at_once_with_the_error(
    dask_project: Project, notebook_factory: NotebookFactory, scheduler: Scheduler
) -> None:
    """A task raising outside the run's own handling (here its output directory cannot be
    made: the shared storage's runs/ is a file) left the run running until its lease expired,
    then ``WorkerLost``, the error only in the worker's log. It fails at once with it now; a
    run that recorded its end keeps it."""
    from nbtools.jobs.reaper import end_run_with_error

    notebook_factory("hello.ipynb", [("code", "print('hello')", [])])
    (dask_project.root / "shared").mkdir(exist_ok=True)
    (dask_project.root / "shared" / "runs").write_text("not a directory")
    run = queue_run(dask_project, "hello.ipynb", {})
    failed = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
    assert (failed.status, failed.error_name) == ("failed", "NotADirectoryError")
    assert "shared/runs" in (failed.error_message or "")
    assert failed.lease_owner is not None
    # the task's error comes after the run's own end: that end stays
    assert not end_run_with_error(dask_project.store, run.id, failed.lease_owner, OSError("x"))
    (dask_project.root / "shared" / "runs").unlink()
    ran = queue_run(dask_project, "hello.ipynb", {})
    done = wait_for(dask_project, ran.id, lambda r: r.finished_at is not None)
    assert done.status == "succeeded"
    assert done.lease_owner is not None
    assert not end_run_with_error(dask_project.store, ran.id, done.lease_owner, OSError("late"))
    with dask_project.store.session() as session:
        assert session.get(Run, ran.id).status == "succeeded"  # type: ignore[union-attr]


def test_a_notebook_missing_on_the_worker_names_the_worker_and_the_remedy(
    dask_project: Project, notebook_factory: NotebookFactory, cluster: Any
) -> None:
    """Without shared storage a worker reads the notebook under the project root: one that
    cannot see it said only "Notebook not found: hello.ipynb", naming no worker."""
    notebook = notebook_factory("hello.ipynb", [("code", "print('hello')", [])])
    run = queue_run(dask_project, "hello.ipynb", {})
    notebook.unlink()  # as on a worker that does not share the root
    running = Running(dask_scheduler(dask_project, cluster))
    try:
        failed = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
    finally:
        running.stop()
    assert (failed.status, failed.error_name) == ("failed", "NotFoundError")
    message = failed.error_message or ""
    assert message.startswith("Notebook not found on the Dask worker tcp://127.0.0.1:")
    assert f"({failed.worker}): hello.ipynb (under {dask_project.root})." in message
    assert "(JobsSettings.storage, docs/operations.md)" in message


@pytest.mark.parametrize("spelling", ["same", "another"])
def test_runs_in_flight_when_the_scheduler_restarts_are_resumed(
    dask_project: Project,
    notebook_factory: NotebookFactory,
    cluster: Any,
    tmp_path: Path,
    spelling: str,
) -> None:
    """Also when the restarted scheduler's URL names the store in another way (its driver
    left to SQLAlchemy's default, a password given that was not): its tasks' keys name the
    store, not the URL's text, so none stays on the cluster untracked."""
    notebook_factory("held.ipynb", [("code", WAITS_FOR_GO, [])])
    go = dask_project.root / "go"  # the run ends once the new scheduler follows it (or fails)
    first = Running(dask_scheduler(dask_project, cluster))
    run = queue_run(dask_project, "held.ipynb", {})
    try:
        token = wait_for(dask_project, run.id, lambda r: r.status == "running").lease_owner
    finally:
        first.stop()  # the scheduler goes; its task goes on on the cluster

    url = dask_project.db_url
    if spelling == "another":  # the test server trusts its user: any password logs in
        url = url.replace("postgresql+psycopg://", "postgresql://", 1).replace("@", ":pw@", 1)
    project = Project(tmp_path, db_url=url)
    restarted = dask_scheduler(project, cluster)
    assert restarted.executor is not None
    try:
        assert restarted.executor.resume(project.db_url) == {run.id: token}
        second = Running(restarted)
    finally:
        go.touch()
    try:
        done = wait_for(dask_project, run.id, lambda r: r.finished_at is not None)
        assert (done.status, done.attempt) == ("succeeded", 1)
        wait_until(lambda: run.id not in restarted.executor.pending())  # type: ignore[union-attr]
    finally:
        second.stop()
        project.close()


def owner_of(run: Run) -> str:
    """The scheduler whose claim the run holds (its token's owner)."""
    assert run.lease_owner is not None
    return run.lease_owner.rpartition("/")[0]


def test_a_restarted_scheduler_resumes_its_runs_not_those_of_another_alive(
    dask_project: Project, notebook_factory: NotebookFactory, cluster: Any
) -> None:
    """Two schedulers, one run each; one restarts. It said "resumed tracking 2 runs in
    flight", counting the other's run as its own (so its free slots were short by one)."""
    notebook_factory("hold.ipynb", [("code", WAITS_FOR_GO, [])])
    first, other = (Running(dask_scheduler(dask_project, cluster, workers=1)) for _ in "ab")
    restarted: Running | None = None
    try:
        queued = [queue_run(dask_project, "hold.ipynb", {}).id for _ in "ab"]
        running = [wait_for(dask_project, i, lambda r: r.status == "running") for i in queued]
        mine = {owner_of(run): run.id for run in running}[first.scheduler.claimer.owner]
        assert {owner_of(run) for run in running} == {
            first.scheduler.claimer.owner,
            other.scheduler.claimer.owner,
        }
        first.stop()  # its run goes on on the cluster
        with logged(logging.getLogger("nbtools")) as said:
            restarted = Running(dask_scheduler(dask_project, cluster, workers=1))
            wait_until(lambda: any("resumed" in line for line in said.lines))
        assert said.lines == [f"nbtools: resumed tracking 1 runs in flight: [{mine}]"]
        executor = restarted.scheduler.executor
        assert executor is not None
        assert (executor.pending(), executor.free_slots()) == ({mine}, 0)
    finally:
        (dask_project.root / "go").touch()
        other.stop()
        if restarted is not None:
            restarted.stop()
    ended = [wait_for(dask_project, i, lambda r: r.finished_at is not None) for i in queued]
    assert [run.status for run in ended] == ["succeeded"] * 2


def test_runs_of_a_killed_scheduler_are_resumed_once_it_is_no_longer_alive(
    dask_project: Project, notebook_factory: NotebookFactory, cluster: Any
) -> None:
    """A scheduler killed leaves its row in the store, alive for a while (docs/operations.md):
    another scheduler takes its runs over once that row says it is gone."""
    notebook_factory("hold.ipynb", [("code", WAITS_FOR_GO, [])])
    lease = {"workers": 1, "stale_after_seconds": 300}  # outlives the clock moved below
    first = Running(dask_scheduler(dask_project, cluster, **lease))
    survivor = dask_scheduler(dask_project, cluster, **lease)
    try:
        run = queue_run(dask_project, "hold.ipynb", {})
        owner = owner_of(wait_for(dask_project, run.id, lambda r: r.status == "running"))
        first.stop()
        killed = Presence(dask_project.store, "dask", 0.1, owner)  # its row, as SIGKILL left it
        killed.start(utcnow())
        survivor.tick()
        assert survivor.executor is not None
        assert survivor.executor.pending() == set()  # maybe alive: its run is its own
        # past the row's alive window, and when the survivor looks for runs left again
        later = utcnow() + max(alive_window(0.1), survivor.renew_every) + timedelta(seconds=1)
        survivor.clock = lambda: later
        survivor.tick()
        assert survivor.executor.pending() == {run.id}
    finally:
        (dask_project.root / "go").touch()
    assert wait_for(dask_project, run.id, lambda r: r.finished_at is not None).status == (
        "succeeded"
    )
    wait_until(lambda: not survivor.executor.pending())  # type: ignore[union-attr]
    survivor.executor.shutdown()  # type: ignore[union-attr]


def wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture
def jp_server_config(cluster: Any, jp_root_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "JobsSettings": {
            "executor": "dask",
            "dask_address": cluster.scheduler_address,
            "storage": (jp_root_dir / "shared").as_uri(),
            "poll_seconds": 0.1,
        },
    }


async def test_the_server_extension_runs_jobs_on_dask_when_configured(
    jp_fetch: Any, jp_root_dir: Path, cluster: Any
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(
        json.dumps(make_notebook([("code", "n = 1", ["parameters"]), ("code", "print(n)", [])]))
    )
    body = json.dumps({"notebook_path": "nb.ipynb", "parameters": {"n": 5}})
    created = await jp_fetch("nbtools", "api", "runs", method="POST", body=body)
    run_id = json.loads(created.body)["id"]
    for _ in range(600):
        run = json.loads((await jp_fetch("nbtools", "api", "runs", str(run_id))).body)
        if run["finished_at"] is not None:
            break
        await asyncio.sleep(0.1)
    assert run["status"] == "succeeded"
    assert int(run["worker"].rsplit(":", 1)[1]) in worker_pids(cluster)
    assert run["output_notebook"] == f"shared/runs/{run_id}/nb.ipynb"  # relative to the root
    download = await jp_fetch("nbtools", "api", "runs", str(run_id), "download", "notebook")
    assert json.loads(download.body)["cells"][-1]["outputs"][0]["text"] == ["5\n"]
