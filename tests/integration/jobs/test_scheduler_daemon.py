"""``nbtools scheduler`` executes queued runs; killed mid-run, its run ends on restart."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from nbtools.jobs.definitions import create_job
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run, schedulers_table
from nbtools.project import Project
from tests.conftest import NotebookFactory, exit_on_signal
from tests.integration.jobs.conftest import wait_for, wait_until

pytestmark = pytest.mark.slow


def test_daemon_runs_queued_runs_and_a_killed_run_is_reaped_and_retried(
    project: Project,
    notebook_factory: NotebookFactory,
    sleeper: Path,
    daemon: subprocess.Popen[bytes],
) -> None:
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"]), ("code", "n * 2", [])])
    quick = queue_run(project, "quick.ipynb", {"n": 5})
    assert wait_for(project, quick.id, lambda r: r.finished_at is not None).status == "succeeded"

    job = create_job(project, {"notebook_path": "sleep.ipynb", "retries": 1})
    doomed = queue_run(project, "sleep.ipynb", {}, job=job)
    running = wait_for(project, doomed.id, lambda r: r.current_cell == 1)
    tree = [*psutil.Process(daemon.pid).children(recursive=True), psutil.Process(daemon.pid)]
    for process in tree:  # the machine "dies": daemon, workers and kernels at once
        with contextlib.suppress(psutil.NoSuchProcess):  # a kernel its worker took along
            process.kill()
    psutil.wait_procs(tree, timeout=10)
    assert wait_for(project, doomed.id, lambda r: True).status == "running"

    assert running.heartbeat_at is not None
    restarted = Scheduler(project, clock=lambda: running.heartbeat_at + timedelta(minutes=10))  # type: ignore[operator]
    assert restarted.tick().reaped == [doomed.id]
    with project.store.session() as session:
        ended, retry = session.scalars(select(Run).where(Run.job_id == job.id).order_by(Run.id))
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert (retry.status, retry.attempt) == ("queued", 2)


@pytest.mark.parametrize("signals", [["SIGTERM"], ["SIGINT"], ["SIGINT", "SIGINT", "SIGTERM"]])
def test_a_stop_signal_ends_the_daemon_and_everything_it_started(
    project: Project,
    notebook_factory: NotebookFactory,
    daemon: subprocess.Popen[bytes],
    signals: list[str],
) -> None:
    """SIGTERM or Ctrl-C, once or several times in a row: the daemon shuts its workers, zygote
    and kernels down and exits 0."""
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"]), ("code", "n * 2", [])])
    quick = queue_run(project, "quick.ipynb", {"n": 5})
    assert wait_for(project, quick.id, lambda r: r.finished_at is not None).status == "succeeded"
    started = psutil.Process(daemon.pid).children(recursive=True)
    assert started  # its worker, the zygote and a pre-started kernel
    for name in signals:
        daemon.send_signal(getattr(signal, name))
    assert daemon.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
    assert daemon.stderr is not None
    assert daemon.stderr.read().decode().endswith("nbtools scheduler: stopped.\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_while_the_daemon_starts_is_as_graceful_as_later(
    project: Project, tmp_path: Path, signum: int
) -> None:
    """SIGTERM or Ctrl-C while the daemon is still starting (here its config file waits on a
    named pipe, as a slow store would hold it): exit 0 and its last line, as for a stop
    later, where it exited 143 or 130 (and SIGTERM inside the config file read as the file
    failing, exit 2); nothing was started, and it is not listed as serving the store."""
    project.store  # noqa: B018 - migrate before the daemon opens the store
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    config = tmp_path / "slow_config.py"
    config.write_text(f"open({str(fifo)!r}).read()\nc.JobsSettings.poll_seconds = 0.2\n")
    root = ["--root", str(project.root), "--config", str(config)]
    daemon = subprocess.Popen(
        [sys.executable, "-m", "nbtools.cli.main", *root, "scheduler", "--workers", "1"],
        stderr=subprocess.PIPE,
    )
    assert exit_on_signal(fifo, daemon, signum) == 0
    assert daemon.stderr is not None
    assert daemon.stderr.read().decode() == "nbtools scheduler: stopped.\n"
    with project.store.session() as session:
        assert session.scalars(select(schedulers_table.c.pid)).all() == []


def test_ctrl_c_in_a_terminal_stops_the_daemon_quietly(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A terminal's Ctrl-C sends SIGINT to every process of its foreground group: the daemon,
    its workers and the kernel zygote. The daemon stops them all; none of them prints a
    traceback (the zygote, whose owner ends it, used to)."""
    project.store  # noqa: B018 - migrate before the daemon opens the store
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"]), ("code", "n * 2", [])])
    daemon = subprocess.Popen(
        [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root), "scheduler"],
        stderr=subprocess.PIPE,
        start_new_session=True,  # a group of its own, as a shell gives a foreground command
    )
    try:
        quick = queue_run(project, "quick.ipynb", {"n": 5})
        assert wait_for(project, quick.id, lambda r: r.finished_at is not None).status == (
            "succeeded"
        )
        started = psutil.Process(daemon.pid).children(recursive=True)
        assert any("zygote" in " ".join(child.cmdline()) for child in started)
        os.killpg(daemon.pid, signal.SIGINT)
        assert daemon.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(started, timeout=10)
        assert alive == []
        assert daemon.stderr is not None
        said = daemon.stderr.read().decode()
        assert "Traceback" not in said
        assert "KeyboardInterrupt" not in said
        assert said.endswith("nbtools scheduler: stopped.\n")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()


def test_a_run_in_flight_when_the_daemon_stops_says_so_and_is_retried(
    project: Project, sleeper: Path, daemon: subprocess.Popen[bytes]
) -> None:
    job = create_job(project, {"notebook_path": "sleep.ipynb", "retries": 1})
    doomed = queue_run(project, "sleep.ipynb", {}, job=job)
    wait_for(project, doomed.id, lambda r: r.current_cell == 1)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    assert daemon.stderr is not None
    assert "stopped; 1 run in flight ended with it (retried as their jobs allow)." in (
        daemon.stderr.read().decode()
    )
    with project.store.session() as session:
        ended, retry = session.scalars(select(Run).where(Run.job_id == job.id).order_by(Run.id))
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert ended.error_message.startswith("The scheduler executing this run was stopped")
    assert (retry.status, retry.attempt) == ("queued", 2)


def test_a_run_in_flight_when_the_daemon_is_killed_ends_lost_and_is_retried(
    project: Project, sleeper: Path, daemon: subprocess.Popen[bytes]
) -> None:
    """SIGKILL to the scheduler alone: its kernel zygote ends with it (and the run's kernel
    with the zygote), while its worker lives on to record the run: lost (``WorkerLost``, as
    docs/operations.md says), not a "kernel died" of the notebook's; then the worker and the
    zygote are gone too, leaving nothing in the daemon's log (the worker wrote a
    BrokenPipeError's traceback there, telling its gone scheduler the run was done, and
    "cannot pre-start kernel" as it started the next run's kernel for no one)."""
    job = create_job(project, {"notebook_path": "sleep.ipynb", "retries": 1})
    doomed = queue_run(project, "sleep.ipynb", {}, job=job)
    wait_for(project, doomed.id, lambda r: r.current_cell == 1)
    started = psutil.Process(daemon.pid).children(recursive=True)
    daemon.kill()
    ended = wait_for(project, doomed.id, lambda r: r.finished_at is not None)
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert ended.error_message.startswith("The scheduler executing this run was killed")
    with project.store.session() as session:
        retry = session.scalars(select(Run).where(Run.retry_of == doomed.id)).one()
    assert (retry.status, retry.attempt) == ("queued", 2)
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == []
    _, err = daemon.communicate(timeout=60)  # everything that could write to it is gone
    assert "nbtools scheduler: local executor, 1 slot" in err.decode()
    assert err.decode().count("\n") == 1, err.decode()


#: Notebook code: the kernel says something of its own (ipykernel's log, on the kernel's own
#: stderr) while it runs the notebook, and a traceback while it shuts down, then notes that it
#: has (``shut-down``): a kernel's shutdown, ended by a worker that no longer waits for it.
SAYS_ITS_OWN = """\
import pathlib
kernel = get_ipython().kernel
kernel.log.error("the kernel's own line, while it runs")
shutdown = kernel.do_shutdown

async def do_shutdown(restart):
    try:
        raise RuntimeError("the kernel's own error, as it shuts down")
    except RuntimeError:
        kernel.log.error("the kernel's own traceback", exc_info=True)
    pathlib.Path("shut-down").touch()
    return shutdown(restart)

kernel.do_shutdown = do_shutdown
"""


def test_what_a_kernel_says_of_its_own_stays_out_of_the_daemons_log(
    project: Project, notebook_factory: NotebookFactory, daemon: subprocess.Popen[bytes]
) -> None:
    """A kernel shares nothing of its output with the daemon: a fresh-clone CI run found
    ipykernel's traceback of a kernel being shut down (``process_control``, "Socket operation
    on non-socket") in the daemon's log, written by the kernel on the stderr it had inherited.
    Here a kernel writes on its own stderr while it runs and while it shuts down (before it
    notes ``shut-down``): the daemon's log has only the daemon's lines."""
    notebook_factory("own.ipynb", [("code", SAYS_ITS_OWN, [])])
    run = queue_run(project, "own.ipynb", {})
    assert wait_for(project, run.id, lambda r: r.finished_at is not None).status == "succeeded"
    wait_until(lambda: (project.root / "shut-down").exists(), "the kernel's shutdown")
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    assert daemon.stderr is not None
    said = daemon.stderr.read().decode()
    assert "the kernel's own" not in said, said
    assert "Traceback" not in said, said
    assert [line.partition(":")[0] for line in said.splitlines()] == [
        "nbtools scheduler",  # its first line: executor, slots, store
        "nbtools scheduler",  # stopped.
    ], said


def test_max_concurrent_holds_back_a_jobs_second_run(
    project: Project, sleeper: Path, notebook_factory: NotebookFactory
) -> None:
    from nbtools.jobs.cancel import request_cancel
    from nbtools.jobs.executors.local import LocalExecutor

    job = create_job(project, {"notebook_path": "sleep.ipynb", "max_concurrent": 1})
    first, second = (queue_run(project, "sleep.ipynb", {}, job=job) for _ in range(2))
    executor = LocalExecutor(2, cwd=project.root)
    scheduler = Scheduler(project, executor)
    try:
        assert scheduler.tick().submitted == [first.id]
        wait_for(project, first.id, lambda r: r.status == "running")
        assert scheduler.tick().submitted == []
        request_cancel(project.store, first.id)
        wait_for(project, first.id, lambda r: r.status == "cancelled")
        assert scheduler.tick().submitted == [second.id]
        wait_for(project, second.id, lambda r: r.status == "running")
        request_cancel(project.store, second.id)
        wait_for(project, second.id, lambda r: r.status == "cancelled")
    finally:
        executor.shutdown()
