"""Kernels forked from the executor's zygote: fresh, in their run's directory and environment,
stopped by timeouts, gone with their worker or their executor, and a dead zygote replaced."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import psutil
import pytest
from jupyter_core.utils import run_sync

from nbtools import zygote as zygote_module
from nbtools.config import PURPOSE_VARIABLE
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.runs import get_run, output_files
from nbtools.jobs.submit import queue_run
from nbtools.kernels import ARTIFACTS_DIR_ENV, KernelSource
from nbtools.project import Project
from nbtools.zygote import Zygote
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
    DoneLog,
    processes_with,
    request,
    spawner,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.slow

#: Notebook code: fail if an earlier run's variable is here, then report the kernel's view.
REPORT = (
    "import json, os, sys\n"
    "assert 'leak' not in globals()\n"
    "leak = 1\n"
    "import helper\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'cwd': os.getcwd(), "
    f"'artifacts': os.environ.get({ARTIFACTS_DIR_ENV!r}), "
    f"'purpose': os.environ.get({PURPOSE_VARIABLE!r}), 'helper': helper.NAME, "
    "'pydevd': os.environ.get('PYDEVD_DISABLE_FILE_VALIDATION')}))"
)


#: Notebook code: note the kernel's pid and its parent's (the zygote's).
NOTE_PIDS = "import json, os\njson.dump([os.getpid(), os.getppid()], open(f'pids-{n}.json', 'w'))"


def zygote_of(kernel_pid: int) -> int:
    """The pid of the zygote that forked ``kernel_pid`` (asserting it was forked)."""
    parent = psutil.Process(kernel_pid).parent()
    assert parent is not None
    assert "nbtools.zygote" in " ".join(parent.cmdline())
    return parent.pid


def started_kernel(project: Project) -> psutil.Process:
    """The kernel of a ``spawner`` notebook, once the notebook noted its child in ``started``."""
    started = project.root / "started"
    # the notebook creates the file, then writes the pid: wait for both
    wait_until(lambda: started.exists() and started.read_text() != "", "the notebook to start")
    kernel = psutil.Process(int(started.read_text())).parent()
    assert kernel is not None
    return kernel


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@contextlib.contextmanager
def own_executor(done_log: DoneLog, cwd: Path, size: int) -> Iterator[LocalExecutor]:
    """A started executor of the test's own (its workers and zygote may be killed), forking
    kernels; shut down afterwards."""
    pool = LocalExecutor(size, done_log, cwd=cwd)
    pool.start()
    try:
        yield pool
    finally:
        pool.shutdown()


@pytest.fixture
def one_worker(done_log: DoneLog, tmp_path: Path) -> Iterator[LocalExecutor]:
    with own_executor(done_log, tmp_path, 1) as pool:
        yield pool


def test_forked_kernels_are_fresh_and_see_their_runs_directory_and_environment(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYDEVD_DISABLE_FILE_VALIDATION", raising=False)
    notebook_factory("sub/report.ipynb", [("code", REPORT, [])])
    (project.root / "sub" / "helper.py").write_text("NAME = 'beside the notebook'\n")
    runs = [queue_run(project, "sub/report.ipynb", {}, purpose="nightly") for _ in range(3)]
    for run in runs:
        executor.submit(request(project, run.id))
    assert [done_log.wait(run.id) for run in runs] == ["succeeded"] * 3
    seen = []
    for run in runs:
        finished = wait_for(project, run.id, lambda r: r.finished_at is not None)
        executed = json.loads(output_files(finished)["notebook"].read_bytes())
        seen.append(json.loads(executed["cells"][0]["outputs"][0]["text"][0]))
    assert len({report["pid"] for report in seen}) == 3
    for report in seen:
        assert report["cwd"] == str(project.root / "sub")
        assert report["helper"] == "beside the notebook"
        assert report["purpose"] == "nightly"
        assert report["artifacts"].startswith("/")
        assert report["pydevd"] is None  # what the zygote set for its own imports stays there
    assert len({report["artifacts"] for report in seen}) == 3
    assert "frozen modules" not in capfd.readouterr().err  # no debugger warning in the log


def test_a_forked_kernel_is_the_zygotes_child_in_its_own_session(
    project: Project, notebook_factory: NotebookFactory, one_worker: LocalExecutor
) -> None:
    notebook_factory("sleep.ipynb", [("code", spawner("nbtools-test-session"), [])])
    run = queue_run(project, "sleep.ipynb", {})
    one_worker.submit(request(project, run.id))
    kernel = started_kernel(project)
    zygote = zygote_of(kernel.pid)
    assert psutil.Process(zygote).parent().pid == os.getpid()  # the executor's
    assert os.getpgid(kernel.pid) == os.getsid(kernel.pid) == kernel.pid


def test_a_timeout_stops_a_forked_kernel_and_what_it_started(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("slow.ipynb", [("code", spawner(marker), [])])
    run = queue_run(project, "slow.ipynb", {}, timeout_seconds=3)
    executor.submit(request(project, run.id))
    kernel = started_kernel(project)
    zygote_of(kernel.pid)
    assert done_log.wait(run.id) == "timed_out"
    wait_until(lambda: gone(kernel.pid) and processes_with(marker) == [], "the run's processes")


def test_a_forked_kernel_killed_by_a_signal_fails_its_run_and_takes_its_children_along(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    then = "os.kill(os.getpid(), signal.SIGKILL)"
    notebook_factory("die.ipynb", [("code", spawner(marker, then=then), [])])
    run = queue_run(project, "die.ipynb", {})
    executor.submit(request(project, run.id))
    assert done_log.wait(run.id) == "failed"
    with project.store.session() as session:
        assert get_run(session, run.id).error_message == "kernel died"
    wait_until(lambda: processes_with(marker) == [], "the notebook's child to end")


def test_the_exit_code_of_a_forked_kernel_comes_from_its_zygote(tmp_path: Path) -> None:
    kernels = KernelSource(prestart=False, zygote=Zygote())
    try:
        kernel = kernels.take("python3", tmp_path)
        provisioner = kernel.km.provisioner
        assert provisioner is not None
        zygote_of(provisioner.pid)
        assert run_sync(provisioner.poll)() is None
        os.kill(provisioner.pid, signal.SIGUSR2)  # not handled by a kernel: it terminates
        assert run_sync(provisioner.wait)() == -signal.SIGUSR2
        assert not run_sync(kernel.km.is_alive)()
        kernels.retire(kernel, wait=True)
    finally:
        kernels.close()


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


class HungFork(NamedTuple):
    """An executor of one worker whose zygote hangs (SIGSTOP) with the worker's fork request
    for ``run`` unread; ``kernels`` are those the zygote forked before."""

    pool: LocalExecutor
    zygote: int
    run: int
    kernels: list[int]


@contextlib.contextmanager
def hung_fork(project: Project, done_log: DoneLog, cwd: Path) -> Iterator[HungFork]:
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
    project: Project, done_log: DoneLog, tmp_path: Path
) -> None:
    """The executor never waits for a zygote that does not answer: a dead worker is replaced
    while its kernel's fork still hangs, and the kernel forked for it later is killed."""
    with hung_fork(project, done_log, tmp_path) as hung:
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
    try:
        taken = [kernels.take("python3", tmp_path) for _ in range(8)]
        pids = [kernel.km.provisioner.pid for kernel in taken]
        for kernel in taken[::2]:  # asked to shut down: they exit on their own meanwhile
            kernels.retire(kernel, wait=False)
        zygote.close()
        wait_until(lambda: all(gone(pid) for pid in pids), "every kernel to end")
    finally:
        kernels.close()
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.usefixtures("pids_notebook")
def test_shutdown_does_not_wait_behind_a_fork_of_a_hung_zygote(
    project: Project, done_log: DoneLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zygote that hangs with a worker's fork request unread is killed by the shutdown (with
    the kernels it forked), which ends at once instead of at the fork's timeout."""
    monkeypatch.setattr(zygote_module, "FORK_TIMEOUT_SECONDS", 3600.0)
    with hung_fork(project, done_log, tmp_path) as hung:
        worker = hung.pool.worker_pids()[0]
        stopping = threading.Thread(target=hung.pool.shutdown)
        stopping.start()
        stopping.join(timeout=60)  # the fork alone would wait an hour
        assert not stopping.is_alive(), "shutdown waits behind the hung zygote"
        assert done_log.wait(hung.run) is None  # reported lost
        for pid in [hung.zygote, worker, *hung.kernels]:
            assert gone(pid), pid


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
    wait_for_go = (
        "import os, time\n"
        "open(f'kernel-{n}.pid', 'w').write(str(os.getpid()))\n"
        "open(f'zygote-{n}.pid', 'w').write(str(os.getppid()))\n"
        "while not os.path.exists('go'):\n"
        "    time.sleep(0.05)"
    )
    notebook_factory("queue.ipynb", [("code", "n = 0", ["parameters"]), ("code", wait_for_go, [])])
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
    assert old not in parents
    assert len(parents) == 1
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


#: Kernel code: write what the kernel has imported and how its collector is set to ``FILE``,
#: after collecting a reference cycle made by the "notebook".
KERNEL_STATE = (
    "import gc, json, sys, weakref\n"
    "class Cycle: pass\n"
    "cycle = Cycle(); cycle.me = cycle; ref = weakref.ref(cycle); del cycle\n"
    "gc.collect()\n"
    "json.dump({'modules': sorted(sys.modules), 'gc_enabled': gc.isenabled(), "
    "'frozen': gc.get_freeze_count(), 'cycle_collected': ref() is None}, open(FILE, 'w'))"
)


def kernel_state(kernels: KernelSource, folder: Path) -> dict[str, Any]:
    kernel = kernels.take("python3", folder)
    try:
        state = folder / f"state-{uuid.uuid4().hex}.json"
        code = KERNEL_STATE.replace("FILE", repr(str(state)))
        run_sync(kernel.kc.execute_interactive)(code, store_history=False, timeout=60)
        parent = psutil.Process(kernel.km.provisioner.pid).parent()
        assert parent is not None
        return {"parent": " ".join(parent.cmdline()), **json.loads(state.read_text())}
    finally:
        kernels.retire(kernel, wait=True)


def test_a_forked_kernel_imported_nothing_a_new_kernel_does_not_and_collects_its_garbage(
    tmp_path: Path,
) -> None:
    """What the zygote imports before forking is what a kernel started as a new interpreter
    imports by itself (nothing of nbtools); the imported objects are frozen out of the
    collector (shared pages stay shared), while the notebook's own cycles are collected."""
    forking, starting = KernelSource(prestart=False, zygote=Zygote()), KernelSource(prestart=False)
    try:
        forked, new = kernel_state(forking, tmp_path), kernel_state(starting, tmp_path)
    finally:
        forking.close()
        starting.close()
    assert "nbtools.zygote" in forked["parent"]
    assert "nbtools.zygote" not in new["parent"]
    assert set(forked["modules"]) - set(new["modules"]) == set()
    assert not [name for name in forked["modules"] if name.partition(".")[0] == "nbtools"]
    for state in (forked, new):
        assert state["gc_enabled"]
        assert state["cycle_collected"]
    assert forked["frozen"] > 0
    assert new["frozen"] == 0


def test_without_the_zygote_every_kernel_is_a_new_interpreter_started_by_its_worker(
    project: Project, notebook_factory: NotebookFactory, done_log: DoneLog, tmp_path: Path
) -> None:
    notebook_factory("queue.ipynb", [("code", "n = 0", ["parameters"]), ("code", NOTE_PIDS, [])])
    pool = LocalExecutor(1, done_log, cwd=tmp_path, zygote=False)
    pool.start()
    try:
        run = queue_run(project, "queue.ipynb", {"n": 0})
        pool.submit(request(project, run.id))
        assert done_log.wait(run.id) == "succeeded"
        _, parent = json.loads((project.root / "pids-0.json").read_text())
        assert parent == pool.worker_pids()[0]
        assert not any(  # nor a zygote of its own
            "nbtools.zygote" in " ".join(child.cmdline())
            for child in psutil.Process(parent).children()
            if child.status() != psutil.STATUS_ZOMBIE
        )
    finally:
        pool.shutdown()
