"""The executor's kernel zygote itself: shared by the workers, surviving a worker's death,
replaced when it dies or the environment changes, never waited behind when it hangs, and gone
with the executor."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psutil
import pytest

from nbtools import zygote as zygote_module
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.runs import get_run
from nbtools.jobs.submit import queue_run
from nbtools.kernels import Kernel, KernelSource
from nbtools.project import Project
from nbtools.zygote import Zygote
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
    NOTE_PIDS,
    WAITS_FOR_GO,
    DoneLog,
    gone,
    own_executor,
    processes_with,
    request,
    spawner,
    started_kernel,
    wait_until,
    zygote_of,
)

pytestmark = pytest.mark.slow


def test_sigkill_of_a_worker_leaves_no_kernel_or_child_and_the_zygote_serves_on(
    project: Project,
    notebook_factory: NotebookFactory,
    one_worker: LocalExecutor,
    done_log: DoneLog,
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("spawn.ipynb", [("code", spawner(marker), [])])
    run = queue_run(project, "spawn.ipynb", {})
    one_worker.submit(request(project, run.id))
    kernel = started_kernel(project)
    worker = one_worker.worker_pids()[0]
    zygote = zygote_of(kernel.pid)
    spare = [p.pid for p in psutil.Process(zygote).children() if p.pid != kernel.pid]
    os.kill(worker, signal.SIGKILL)
    assert done_log.wait(run.id) is None
    for pid in [kernel.pid, *spare]:
        wait_until(lambda pid=pid: gone(pid), f"process {pid} to end")
    assert processes_with(marker) == []
    # The new worker's kernel comes from the same zygote.
    wait_until(lambda: len(psutil.Process(zygote).children()) == 1, "the new worker's kernel")
    assert not gone(zygote)


def waiting_requests(pid: int) -> int:
    """Bytes written to process ``pid``'s stdin (a pipe) that it has not read yet."""
    import fcntl
    import termios

    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    try:
        count = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    finally:
        os.close(fd)
    return int.from_bytes(count, sys.byteorder)


#: The fork's timeout while a test holds a zygote hung (60 s): a loaded machine could take
#: that long between the hang and the test's next step, and a request that timed out would
#: replace the zygote the test watches. What a test expects ends long before it.
HUNG_FORK_SECONDS = 3600.0


class HungFork(NamedTuple):
    """An executor of one worker whose zygote hangs (SIGSTOP) with the worker's fork request
    for ``run`` unread (it waits :data:`HUNG_FORK_SECONDS` for an answer); ``kernels`` are
    those the zygote forked before."""

    pool: LocalExecutor
    zygote: int
    run: int
    kernels: list[int]


@contextlib.contextmanager
def hung_fork(
    project: Project, done_log: DoneLog, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HungFork]:
    monkeypatch.setattr(zygote_module, "FORK_TIMEOUT_SECONDS", HUNG_FORK_SECONDS)
    pool = LocalExecutor(1, done_log, cwd=cwd, prestart=False)
    pool.start()
    zygote = 0
    try:
        first = queue_run(project, "pids.ipynb", {"n": 0})
        pool.submit(request(project, first.id))
        assert done_log.wait(first.id) == "succeeded"
        _, zygote = json.loads((project.root / "pids-0.json").read_text())
        kernels = [child.pid for child in psutil.Process(zygote).children()]
        os.kill(zygote, signal.SIGSTOP)  # it hangs: reads no request, forks nothing
        run = queue_run(project, "pids.ipynb", {"n": 1})
        pool.submit(request(project, run.id))
        wait_until(lambda: waiting_requests(zygote) > 0, "the worker's fork request")
        yield HungFork(pool, zygote, run.id, kernels)
    finally:
        with contextlib.suppress(ProcessLookupError):
            if zygote:
                os.kill(zygote, signal.SIGCONT)
        pool.shutdown()


@pytest.fixture
def pids_notebook(notebook_factory: NotebookFactory) -> None:
    notebook_factory("pids.ipynb", [("code", "n = 0", ["parameters"]), ("code", NOTE_PIDS, [])])


@pytest.mark.usefixtures("pids_notebook")
def test_a_worker_dying_while_its_kernel_is_forked_by_a_hung_zygote_is_replaced_at_once(
    project: Project, done_log: DoneLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The executor never waits for a zygote that does not answer: a dead worker is replaced
    while its kernel's fork still hangs, and the kernel forked for it later is killed."""
    with hung_fork(project, done_log, tmp_path, monkeypatch) as hung:
        worker = hung.pool.worker_pids()[0]
        os.kill(worker, signal.SIGKILL)
        assert done_log.wait(hung.run) is None
        wait_until(lambda: worker not in hung.pool.worker_pids(), "the dead worker's successor")
        assert len(hung.pool.worker_pids()) == 1
        assert psutil.Process(hung.zygote).status() == psutil.STATUS_STOPPED  # still hung
        os.kill(hung.zygote, signal.SIGCONT)  # the fork completes; its kernel is killed at once
        wait_until(
            lambda: [p for p in psutil.Process(hung.zygote).children() if not gone(p.pid)] == [],
            "the kernel forked for the dead worker to end",
        )


def test_a_zygote_closed_while_its_kernels_exit_kills_the_rest_and_exits_cleanly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Kernels that exit while their zygote kills the others at the end of its input (their
    SIGCHLD handled in the middle of its loop) stop neither the loop nor the zygote."""
    zygote = Zygote()
    kernels = KernelSource(prestart=False, zygote=zygote)
    taken: list[Kernel] = []
    unretired: list[Kernel] = []
    try:
        for _ in range(8):
            taken.append(kernels.take("python3", tmp_path))
            unretired.append(taken[-1])
        pids = [kernel.km.provisioner.pid for kernel in taken]
        for kernel in taken[::2]:  # asked to shut down: they exit on their own meanwhile
            unretired.remove(kernel)
            kernels.retire(kernel, wait=False)
        zygote.close()
        wait_until(lambda: all(gone(pid) for pid in pids), "every kernel to end")
    finally:
        for kernel in unretired:  # killed with the zygote: their clients and files are left
            kernels.retire(kernel)
        kernels.close()
    assert [kernel for kernel in taken if left_behind(kernel)] == []
    assert "Traceback" not in capfd.readouterr().err


def left_behind(kernel: Kernel) -> bool:
    """Whether this process still holds something of ``kernel``: its client's channels, its
    files (connection file, sockets, output) or its artifacts directory."""
    files = Path(kernel.km.connection_file).parent
    return kernel.kc.channels_running or files.exists() or kernel.artifacts_dir.exists()


def test_a_sigterm_to_the_schedulers_group_leaves_the_zygote_to_end_its_kernels_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """``timeout`` and systemd send SIGTERM to every process of the scheduler: the zygote died
    of it at once, and a kernel it had forked, outliving it for a moment, wrote ipykernel's
    "Parent appears to have exited, shutting down." into the scheduler's log (about one stop
    in six). The zygote ignores it, as it does Ctrl-C: its owner stops it, and it kills its
    kernels; they, forked from it, still end on SIGTERM."""
    zygote = Zygote()
    kernels = KernelSource(prestart=False, zygote=zygote)
    try:
        kept, stopped = (kernels.take("python3", tmp_path) for _ in range(2))
        pids = [kernel.km.provisioner.pid for kernel in (kept, stopped)]
        forker = zygote_of(pids[0])
        os.kill(forker, signal.SIGTERM)
        os.kill(pids[1], signal.SIGTERM)
        wait_until(lambda: gone(pids[1]), "the kernel sent SIGTERM to end")
        time.sleep(1.5)  # ipykernel looks for its parent every second
        assert not gone(forker)
        assert not gone(pids[0])
        zygote.close()
        wait_until(lambda: gone(pids[0]), "the zygote to kill its kernel")
    finally:
        kernels.close()
    assert "Parent appears" not in capfd.readouterr().err


@pytest.mark.usefixtures("pids_notebook")
def test_shutdown_does_not_wait_behind_a_fork_of_a_hung_zygote(
    project: Project, done_log: DoneLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zygote that hangs with a worker's fork request unread is killed by the shutdown (with
    the kernels it forked), which ends then (in seconds) instead of at the fork's timeout."""
    with hung_fork(project, done_log, tmp_path, monkeypatch) as hung:
        worker = hung.pool.worker_pids()[0]
        stopping = threading.Thread(target=hung.pool.shutdown)
        stopping.start()
        stopping.join(timeout=HUNG_FORK_SECONDS / 6)  # ends long before the fork's timeout
        assert not stopping.is_alive(), "shutdown waits behind the hung zygote"
        assert done_log.wait(hung.run) is None  # reported lost
        assert gone(hung.zygote)  # reaped by the shutdown, as its worker is
        assert gone(worker)
        for pid in hung.kernels:  # killed: a loaded machine may take a while to end them
            wait_until(lambda pid=pid: gone(pid), f"kernel {pid} to end")


def test_sigkill_of_the_executors_process_leaves_no_worker_zygote_kernel_or_child(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("spawn.ipynb", [("code", spawner(marker), [])])
    project.store  # noqa: B018 - migrate before the daemon opens the store
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root)]
    daemon = subprocess.Popen([*command, "scheduler", "--workers", "2", "--poll", "0.2"])
    tree: list[psutil.Process] = []
    try:
        queue_run(project, "spawn.ipynb", {})
        kernel = started_kernel(project)
        zygote = psutil.Process(zygote_of(kernel.pid))
        assert zygote.parent().pid == daemon.pid
        tree = psutil.Process(daemon.pid).children(recursive=True)
        assert len(tree) >= 5  # two workers, the zygote, the run's kernel and the next ones
        daemon.kill()
        daemon.wait()
        for process in tree:
            wait_until(lambda pid=process.pid: gone(pid), f"process {process.pid} to end")
        assert processes_with(marker) == []
    finally:
        daemon.kill()
        daemon.wait()
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_the_workers_share_one_zygote_and_fork_from_it_at_once(
    project: Project, notebook_factory: NotebookFactory, done_log: DoneLog, tmp_path: Path
) -> None:
    notebook_factory("queue.ipynb", [("code", "n = 0", ["parameters"]), ("code", NOTE_PIDS, [])])
    pool = LocalExecutor(2, done_log, cwd=tmp_path)
    pool.start()  # both workers ask for their first kernel at once
    try:
        runs = [queue_run(project, "queue.ipynb", {"n": index}) for index in range(6)]
        for run in runs:
            pool.submit(request(project, run.id))
        assert [done_log.wait(run.id) for run in runs] == ["succeeded"] * 6
    finally:
        pool.shutdown()
    pids = [json.loads((project.root / f"pids-{index}.json").read_text()) for index in range(6)]
    assert len({kernel for kernel, _ in pids}) == 6
    assert len({zygote for _, zygote in pids}) == 1
    with project.store.session() as session:
        assert len({get_run(session, run.id).worker for run in runs}) == 2


@pytest.fixture
def two_workers(done_log: DoneLog, tmp_path: Path) -> Iterator[LocalExecutor]:
    with own_executor(done_log, tmp_path, 2) as pool:
        yield pool


def test_a_zygote_killed_while_both_workers_are_busy_is_replaced_and_the_queue_goes_on(
    project: Project,
    notebook_factory: NotebookFactory,
    two_workers: LocalExecutor,
    done_log: DoneLog,
) -> None:
    """The runs whose kernels it forked fail (a kernel ends with its parent, as with any
    launcher); the runs queued behind them get kernels from one new zygote."""
    note_pids = (
        "import os\n"
        "open(f'kernel-{n}.pid', 'w').write(str(os.getpid()))\n"
        "open(f'zygote-{n}.pid', 'w').write(str(os.getppid()))\n"
        "open(f'parent-{n}.cmd', 'wb').write(open(f'/proc/{os.getppid()}/cmdline', 'rb').read())"
    )
    held = f"{note_pids}\n{WAITS_FOR_GO}"
    notebook_factory("queue.ipynb", [("code", "n = 0", ["parameters"]), ("code", held, [])])
    runs = [queue_run(project, "queue.ipynb", {"n": index}) for index in range(5)]
    for run in runs:
        two_workers.submit(request(project, run.id))
    busy = [project.root / f"kernel-{index}.pid" for index in range(2)]
    wait_until(lambda: all(path.exists() for path in busy), "both workers' runs to start")
    kernels = [int(path.read_text()) for path in busy]
    old = zygote_of(kernels[0])
    assert zygote_of(kernels[1]) == old
    os.kill(old, signal.SIGKILL)
    assert [done_log.wait(run.id) for run in runs[:2]] == ["failed", "failed"]
    for kernel in kernels:
        wait_until(lambda kernel=kernel: gone(kernel), f"kernel {kernel} to end")
    with project.store.session() as session:
        for run in runs[:2]:
            assert get_run(session, run.id).error_message
    (project.root / "go").touch()
    assert [done_log.wait(run.id) for run in runs[2:]] == ["succeeded"] * 3
    parents = {int((project.root / f"zygote-{index}.pid").read_text()) for index in range(2, 5)}
    commands = [(project.root / f"parent-{index}.cmd").read_bytes() for index in range(2, 5)]
    assert old not in parents
    assert len(parents) == 1, commands  # a worker here: its kernel was launched without one
    assert len(two_workers.worker_pids()) == 2


def test_a_changed_environment_replaces_the_zygote_and_the_old_one_outlives_its_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernels = KernelSource(prestart=False, zygote=Zygote())
    try:
        first = kernels.take("python3", tmp_path)
        old = zygote_of(first.km.provisioner.pid)
        monkeypatch.setenv("NBTOOLS_TEST_CHANGED", "1")
        second = kernels.take("python3", tmp_path)
        assert zygote_of(second.km.provisioner.pid) != old
        assert not gone(old)  # retired: it waits for its kernel
        kernels.retire(first, wait=True)
        wait_until(lambda: gone(old), "the retired zygote to exit")
        kernels.retire(second, wait=True)
    finally:
        kernels.close()
