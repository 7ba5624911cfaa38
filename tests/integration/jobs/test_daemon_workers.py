"""``nbtools scheduler`` starts its workers one by one and leaves none behind: a stop signal
while they start, a worker that cannot be started (the daemon exits; a server's scheduler
tries again), a daemon killed while they warm up, and a worker that dies and cannot be
replaced (the others go on; the replacement is tried again)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.runs import get_run
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import RUNNING, SUCCEEDED
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import WAITS_FOR_GO, processes_with, wait_for, wait_until

pytestmark = pytest.mark.slow

#: Workers every machine takes (the cap is 4 per CPU).
WORKERS = 4

#: A config file (Python, run by the daemon each time it reads its settings) whose audit hook
#: (added once) sees each worker the executor starts (``subprocess.Popen``), noting it in
#: ``{log}``; at the ``{at}``th it sends the daemon ``{signal}``, and waits until the daemon's
#: thread handling stop signals has stopped it: a signal that arrives while the workers start,
#: at a known point.
SIGNAL_AT_A_WORKER = """\
import os, signal, sys, threading, time

def _on_worker(event, args):
    if event != "subprocess.Popen" or "nbtools.jobs.executors.worker" not in args[1]:
        return
    with open({log!r}, "a") as log:
        log.write("started\\n")
    with open({log!r}) as log:
        started = len(log.readlines())
    if started == {at}:
        os.kill(os.getpid(), signal.{signal})
        while any(t.name == "nbtools-stop-on-signal" for t in threading.enumerate()):
            time.sleep(0.01)

if not hasattr(sys, "on_worker"):
    sys.on_worker = _on_worker
    sys.addaudithook(_on_worker)
c.JobsSettings.poll_seconds = 0.2
"""


def scheduler_command(project: Project, *options: str) -> list[str]:
    root = ["--root", str(project.root)]
    return [sys.executable, "-m", "nbtools.cli.main", *root, *options, "scheduler"]


def workers_of(project: Project) -> list[int]:
    """Live worker processes of executors on ``project`` (``--cwd ROOT`` on their command
    line)."""
    return processes_with(f"--cwd\0{project.root}\0")


def _kernels_started(workers: list[int]) -> int:
    """How many of ``workers`` have started a kernel (a process of theirs reading a connection
    file, ``… -f …/kernel.json``)."""
    started = 0
    for pid in workers:
        with contextlib.suppress(psutil.Error):
            children = psutil.Process(pid).children(recursive=True)
            started += any("kernel.json" in " ".join(child.cmdline()) for child in children)
    return started


@pytest.fixture
def leftovers(project: Project) -> Iterator[None]:
    """Kills the workers a failing test left behind (after asserting none was)."""
    project.store  # noqa: B018 - migrate before a daemon opens the store
    yield
    for pid in workers_of(project):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_while_the_workers_start_starts_no_other(
    project: Project, tmp_path: Path, leftovers: None, signum: str
) -> None:
    """Before, the daemon started all its workers (about 430 of ``--workers 99999999999``)
    before it looked at the stop, then stopped them."""
    log = tmp_path / "workers.log"
    config = tmp_path / "config.py"
    config.write_text(SIGNAL_AT_A_WORKER.format(log=str(log), at=2, signal=signum))
    daemon = subprocess.Popen(
        [*scheduler_command(project, "--config", str(config)), "--workers", str(WORKERS)],
        stderr=subprocess.PIPE,
    )
    _, err = daemon.communicate(timeout=120)
    assert daemon.returncode == 0, err
    assert err.decode().endswith("nbtools scheduler: stopped.\n")
    assert log.read_text() == "started\n" * 2  # the one being started when it came, no other
    assert workers_of(project) == []


def test_a_worker_that_cannot_start_ends_the_daemon_in_one_line_leaving_no_worker(
    project: Project, leftovers: None
) -> None:
    """Out of file descriptors (``ulimit -n 24``) after a few workers: the daemon stops those
    it started and exits 1 saying why, where it printed a traceback and left its workers
    running without it."""

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))

    daemon = subprocess.Popen(
        [*scheduler_command(project), "--workers", str(WORKERS)],
        stderr=subprocess.PIPE,
        preexec_fn=few_descriptors,
    )
    _, err = daemon.communicate(timeout=120)
    said = err.decode()
    assert daemon.returncode == 1, said
    assert "Traceback" not in said
    assert "nbtools scheduler: stopped" not in said  # before the error: a graceful stop
    last = said.splitlines()[-1]
    assert last.startswith("Error: Cannot start worker "), said
    assert f" of {WORKERS}: Too many open files" in last
    assert last.endswith(
        "Start fewer workers (JobsSettings.workers) or raise the system limit it hit "
        "(ulimit). See --workers."
    )
    assert workers_of(project) == []


#: A module the workers import as they warm up (the daemon never does), hanging there: a
#: warm-up that never ends, as on a machine too loaded for a kernel to start.
HANGING_IMPORT = """\
import threading
open({started!r}, "w").close()
threading.Event().wait()
"""


def test_a_worker_warming_up_ends_when_its_daemon_is_killed(
    project: Project, tmp_path: Path, leftovers: None
) -> None:
    """Killed, the daemon cannot stop its workers; one still warming up never read the end of
    its input, and went on (for 18 minutes under load). It sees its daemon gone and exits."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    started = tmp_path / "warming-up"
    shadow.joinpath("papermill.py").write_text(HANGING_IMPORT.format(started=str(started)))
    path = os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH")]))
    daemon = subprocess.Popen(
        [*scheduler_command(project), "--workers", "1"],
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )
    try:
        wait_until(started.exists, "the worker to hang in its warm-up")
        assert len(workers_of(project)) == 1
        daemon.kill()
        daemon.wait()
        wait_until(lambda: workers_of(project) == [], "the worker to end", timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    _, err = daemon.communicate(timeout=60)
    assert "Traceback" not in err.decode()


def test_a_scheduler_whose_workers_cannot_start_says_so_in_one_line_and_tries_again(
    project: Project,
    notebook_factory: NotebookFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server's scheduler (a thread, which cannot exit): at each tick its log says in one
    line why no worker starts, and once they can the run waiting in its executor runs."""
    notebook_factory("quick.ipynb", [("code", "n = 1", [])])
    # no program can be given a variable this long (Linux: 128 KiB): E2BIG for each worker
    monkeypatch.setenv("NBTOOLS_TEST_TOO_LONG", "x" * 200_000)
    scheduler = Scheduler(project, LocalExecutor(1, cwd=project.root), poll_seconds=0.05)
    run = queue_run(project, "quick.ipynb", {})
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(stop,))
    with caplog.at_level(logging.WARNING, logger="nbtools"):
        loop.start()
        try:
            wait_until(lambda: "tick 2 failed" in caplog.text, "two ticks to fail")
            assert workers_of(project) == []
            monkeypatch.delenv("NBTOOLS_TEST_TOO_LONG")
            ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
        finally:
            stop.set()
            scheduler.wake()
            loop.join()
            scheduler.shutdown()
    assert ended.status == "succeeded"
    assert (
        "nbtools: scheduler tick failed (Cannot start worker 1 of 1: Argument list too long. "
        "Start fewer workers (JobsSettings.workers) or raise the system limit it hit (ulimit).)"
    ) in caplog.text
    assert "Traceback" not in caplog.text


def warm(host: int, workers: int) -> bool:
    """Whether the kernel zygote of the executor in process ``host`` has forked a kernel
    for each of its ``workers`` (nothing of theirs is left to start)."""
    for child in psutil.Process(host).children():
        with contextlib.suppress(psutil.Error):
            if "nbtools.zygote" in " ".join(child.cmdline()):
                return len(child.children()) == workers
    return False


@contextlib.contextmanager
def descriptors_left(pid: int, free: int) -> Iterator[None]:
    """Lower process ``pid``'s limit of open files (``ulimit -n``) until only ``free`` more
    can be opened (a worker takes eight to start), restoring it afterwards."""
    taken = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
    limit = next(itertools.islice((n for n in itertools.count() if n not in taken), free, None))
    before = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, before[1]))
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(pid, resource.RLIMIT_NOFILE, before)


def assert_replaced_after_one_failure(
    project: Project, daemon: subprocess.Popen[bytes], said: str, why: str
) -> None:
    """What a daemon of two workers said (its log ``said``) and left once stopped, after a
    worker that ended could not be replaced (because ``why``), then was: the failure in one
    line, no traceback, the replacement, the stop (exit 0), no worker left."""
    assert daemon.returncode == 0, said
    assert "Traceback" not in said
    assert [line for line in said.splitlines() if "cannot start" in line] == [
        f"nbtools: cannot start a worker in place of one that ended: {why}. 1 of 2 workers "
        "serve runs meanwhile; it is tried again every 1 s. Start fewer workers "
        "(JobsSettings.workers) or raise the system limit it hit (ulimit)."
    ], said
    # nbtools' lines about its workers: not kernels', nor what is said of a run (a warning of
    # its lineage comes when that is recorded, in the background, maybe after the replacement)
    told = [
        line
        for line in said.splitlines()
        if line.startswith("nbtools") and not line.startswith("nbtools: run ")
    ]
    assert told[-2:] == [
        "nbtools: executor workers started again: 2 of 2",
        "nbtools scheduler: stopped.",
    ]
    assert workers_of(project) == []


def test_a_worker_that_cannot_be_replaced_is_said_once_and_the_other_runs_what_is_queued(
    project: Project, notebook_factory: NotebookFactory, tmp_path: Path, leftovers: None
) -> None:
    """Out of file descriptors as a killed worker is replaced: before, the executor's thread
    died with the error (a traceback on stderr) and the daemon, still polling, never ran
    another run. Now it says so in one line, its other worker runs what is queued, and the
    replacement starts once the limit allows it."""
    notebook_factory("quick.ipynb", [("code", "n = 1", [])])
    log = tmp_path / "daemon.log"
    with log.open("wb") as err:
        daemon = subprocess.Popen(
            [*scheduler_command(project), "--workers", "2", "--poll", "0.2"], stderr=err
        )
    try:
        wait_until(lambda: warm(daemon.pid, 2), "both workers' kernels")
        with descriptors_left(daemon.pid, 3):
            os.kill(workers_of(project)[0], signal.SIGKILL)
            wait_until(lambda: "cannot start a worker" in log.read_text(), "the failure")
            survivors = workers_of(project)
            assert len(survivors) == 1  # no replacement at the limit
            run = queue_run(project, "quick.ipynb", {})
            ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
            assert ended.status == SUCCEEDED
            # run by the worker left (the descriptors its run frees may let the replacement
            # start as soon as it ends: counting the workers then was a race)
            assert ended.worker is not None
            assert int(ended.worker.rsplit(":", 1)[1]) in survivors
        wait_until(lambda: len(workers_of(project)) == 2, "the replacement")
        # its line follows the worker's start: a stop before it left the log without it
        wait_until(lambda: "executor workers started again" in log.read_text(), "its line")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
    said = log.read_text()
    assert_replaced_after_one_failure(project, daemon, said, "Too many open files")
    assert said.endswith(  # no kernel speaks after them here
        "nbtools: executor workers started again: 2 of 2\nnbtools scheduler: stopped.\n"
    )


def test_a_scheduler_short_of_a_worker_claims_only_runs_its_live_workers_can_start(
    project: Project, notebook_factory: NotebookFactory, tmp_path: Path, leftovers: None
) -> None:
    """Before, a pool of two with one worker dead and not replaced still claimed two runs: the
    second waited, claimed, for the first to end, where another scheduler could have run it."""
    notebook_factory("wait.ipynb", [("code", WAITS_FOR_GO, [])])
    pool = LocalExecutor(2, cwd=tmp_path)
    scheduler = Scheduler(project, pool)
    try:
        pool.start()
        wait_until(lambda: warm(os.getpid(), 2), "both workers' kernels")
        with descriptors_left(os.getpid(), 3):
            os.kill(pool.worker_pids()[0], signal.SIGKILL)
            wait_until(lambda: len(pool.worker_pids()) == 1, "the worker's end")
            runs = [queue_run(project, "wait.ipynb", {}).id for _ in range(2)]
            assert scheduler.tick().submitted == runs[:1]
            wait_for(project, runs[0], lambda run: run.status == RUNNING)
            assert scheduler.tick().submitted == []
            with project.store.session() as session:
                assert get_run(session, runs[1]).lease_owner is None
        wait_until(lambda: len(pool.worker_pids()) == 2, "the replacement")
        assert scheduler.tick().submitted == runs[1:]
        (project.root / "go").touch()
        for run_id in runs:
            ended = wait_for(project, run_id, lambda run: run.finished_at is not None)
            assert ended.status == SUCCEEDED
    finally:
        scheduler.shutdown()


#: Runs a command with the real user id of ``nobody`` (which the kernel counts processes and
#: threads by, against ``RLIMIT_NPROC``) and root's other rights (the interpreter may lie in
#: root's home), without the two capabilities that exempt a process from that limit.
AS_NOBODY = """\
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for capability in (21, 24):  # CAP_SYS_ADMIN, CAP_SYS_RESOURCE
    if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        raise OSError(ctypes.get_errno(), "cannot drop a capability")
os.setresuid(65534, 0, 0)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""

#: A config file whose audit hook (added once) sees each worker the executor starts: at the
#: ``{at}``th it holds the daemon to the processes and threads its real user has, plus one
#: (once their count is steady: those of the worker that ended gone): the worker starts, the
#: thread answering it cannot. The first worker started once ``{lift}`` exists lifts the
#: limit again.
THREADS_LEFT_AT_A_WORKER = """\
import os, resource, sys, time

def _tasks_of_this_user():
    tasks, zombies = 0, 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{{pid}}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            if int(fields["Uid"].split()[0]) == os.getuid():
                tasks += len(os.listdir(f"/proc/{{pid}}/task"))
                zombies += fields["State"].split()[0] == "Z"
        except (OSError, KeyError, ValueError):
            continue
    return tasks, zombies

def _on_worker(event, args):
    if event != "subprocess.Popen" or "nbtools.jobs.executors.worker" not in args[1]:
        return
    sys.workers_started += 1
    _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if os.path.exists({lift!r}):
        resource.setrlimit(resource.RLIMIT_NPROC, (hard, hard))
    elif sys.workers_started == {at}:
        # once the count is steady for half a second: the ended worker's kernel reaped, the
        # other's threads started
        deadline, seen = time.monotonic() + 30, []
        while time.monotonic() < deadline:
            seen.append(_tasks_of_this_user())
            steady = seen[-25:]
            if len(steady) == 25 and len(set(steady)) == 1 and steady[0][1] == 0:
                break
            time.sleep(0.02)
        resource.setrlimit(resource.RLIMIT_NPROC, (seen[-1][0] + 1, hard))

if not hasattr(sys, "workers_started"):
    sys.workers_started = 0
    sys.addaudithook(_on_worker)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the daemon as another user (needs root)")
def test_a_worker_whose_thread_cannot_start_is_said_once_and_dispatching_goes_on(
    project: Project, notebook_factory: NotebookFactory, tmp_path: Path, leftovers: None
) -> None:
    """At the limit of processes and threads (``ulimit -u``) as a killed worker is replaced:
    the worker started but the thread answering its requests to the kernel zygote could not,
    and the error (``can't start new thread``) killed the executor's thread, so the daemon
    never dispatched another run, silently. Now the worker is stopped again, the failure is
    said in one line, the worker left runs what is queued, and the replacement starts once
    the limit allows it."""
    notebook_factory("quick.ipynb", [("code", "n = 1", [])])
    log, lift, config = tmp_path / "daemon.log", tmp_path / "lift", tmp_path / "config.py"
    config.write_text(THREADS_LEFT_AT_A_WORKER.format(at=3, lift=str(lift)))
    command = scheduler_command(project)[1:]  # after the interpreter
    with log.open("wb") as err:
        daemon = subprocess.Popen(
            [sys.executable, "-c", AS_NOBODY, *command, "--workers", "2", "--poll", "0.2"],
            stderr=err,
            # not --config: click would check nobody may read it (os.access: the real user)
            env={**os.environ, "NBTOOLS_CONFIG": str(config)},
        )
    try:
        # the kernels are the workers' own: as nobody, the zygote finds no interpreter it may
        # run (os.access: the real user), but each worker has its link to it all the same
        wait_until(lambda: _kernels_started(workers_of(project)) == 2, "both workers' kernels")
        os.kill(workers_of(project)[0], signal.SIGKILL)
        wait_until(lambda: "cannot start a worker" in log.read_text(), "the failure")
        run = queue_run(project, "quick.ipynb", {})
        ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
        assert ended.status == SUCCEEDED
        lift.touch()
        wait_until(lambda: len(workers_of(project)) == 2, "the replacement")
        # its line follows the worker's start: a stop before it left the log without it
        wait_until(lambda: "executor workers started again" in log.read_text(), "its line")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)
    why = "no thread can be started for it (can't start new thread)"
    assert_replaced_after_one_failure(project, daemon, log.read_text(), why)
