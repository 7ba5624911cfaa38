"""Kernels forked from the executor's zygote, as processes: fresh, in their run's directory
and environment and their own session, stopped by timeouts and signals with what they started,
importing nothing a new kernel would not; and, without the zygote, new interpreters."""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from jupyter_core.utils import run_sync

from nbtools.config import PURPOSE_VARIABLE
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.run_files import output_files
from nbtools.jobs.runs import get_run
from nbtools.jobs.submit import queue_run
from nbtools.kernel_ready import KernelStartError
from nbtools.kernels import ARTIFACTS_DIR_ENV, KernelSource
from nbtools.processes import START_ADVICE
from nbtools.project import Project
from nbtools.zygote import Zygote
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
    NOTE_PIDS,
    SAYS_AND_DIES,
    DoneLog,
    gone,
    processes_with,
    request,
    spawner,
    started_kernel,
    wait_for,
    wait_until,
    zygote_of,
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


def test_a_forked_kernel_that_dies_saying_why_fails_its_run_with_its_last_line(
    project: Project,
    notebook_factory: NotebookFactory,
    executor: LocalExecutor,
    done_log: DoneLog,
) -> None:
    """A scheduler's kernel (forked by the zygote) writes to its own output file too."""
    notebook_factory("says.ipynb", [("code", SAYS_AND_DIES, [])])
    run = queue_run(project, "says.ipynb", {})
    executor.submit(request(project, run.id))
    assert done_log.wait(run.id) == "failed"
    with project.store.session() as session:
        assert get_run(session, run.id).error_message == (
            "kernel died (its last line: model weights corrupt: giving up)."
        )


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


def test_a_kernel_forks_when_its_process_holds_descriptors_past_1024(tmp_path: Path) -> None:
    """A scheduler with many workers holds descriptors past 1024, which ``select()`` refuses
    ("filedescriptor out of range in select()": every kernel of its later workers failed to
    start, each worker logging a broken pipe)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows {hard} open files, not enough to pass 1024")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = []
    try:
        while not held or held[-1] < 1030:
            held.append(os.open(os.devnull, os.O_RDONLY))
        kernels = KernelSource(prestart=False, zygote=Zygote())
        try:
            kernel = kernels.take("python3", tmp_path)
            provisioner = kernel.km.provisioner
            assert provisioner is not None
            zygote_of(provisioner.pid)  # forked by the zygote, not started normally
            kernels.retire(kernel, wait=True)
        finally:
            kernels.close()
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


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


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "new interpreter"])
def test_a_run_kernel_keeps_no_input_history_and_leaves_the_users_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    """Every kernel opened the user's IPython history database; one out of file descriptors
    took it for corrupt and moved it aside (``history-corrupt-….sqlite``). A run's kernel
    keeps no history: it never opens the database."""
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))  # the "user's" IPython directory
    kernels = KernelSource(prestart=False, zygote=Zygote() if forked else None)
    try:
        kernel = kernels.take("python3", tmp_path)
        provisioner = kernel.km.provisioner
        assert provisioner is not None
        parent = psutil.Process(provisioner.pid).parent()
        assert parent is not None
        assert ("nbtools.zygote" in " ".join(parent.cmdline())) == forked
        reply = run_sync(kernel.kc.execute_interactive)("x = 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        kernels.retire(kernel, wait=True)
    finally:
        kernels.close()
    assert ipython_dir.is_dir()  # the kernel used it (its profile)
    assert list(ipython_dir.rglob("*.sqlite")) == []


def test_a_kernel_out_of_file_descriptors_says_so_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A scheduler whose kernels run out of file descriptors (``ulimit -n`` low, several
    workers) had each kernel write a traceback of a dozen lines into its log: one line each,
    naming the limit and what to do. (No client connects here: libzmq aborts a kernel that
    cannot accept a connection with a line of its own.)"""
    zygote = Zygote()
    try:

        def fork(name: str) -> int:
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / name)]
            env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}  # not the user's
            return zygote.fork(argv, env, str(tmp_path), str(tmp_path / f"{name}.output"))

        first = fork("first.json")  # the zygote is up
        forker = psutil.Process(zygote_of(first))  # before the kill: it reaps the kernel
        os.killpg(first, signal.SIGKILL)
        forker.rlimit(psutil.RLIMIT_NOFILE, (16, forker.rlimit(psutil.RLIMIT_NOFILE)[1]))
        failed = fork("failed.json")
        wait_until(lambda: gone(failed), "the kernel to fail")
        assert zygote.exit_code(forker.pid, failed) == 1
    finally:
        zygote.close()
    said = capfd.readouterr().err
    assert "Traceback" not in said
    assert said.endswith(
        f"nbtools: kernel {failed} failed: Too many open files. Start fewer workers "
        "(JobsSettings.workers) or raise the system limit it hit (ulimit).\n"
    )


#: A stand-in for ``ipykernel_launcher`` (the zygote runs the one in the kernel's directory, as
#: ``-m`` would): its main thread exits while another thread lives on until the named pipe
#: ``release`` is closed, then ends the process with code 3.
OUTLIVES_ITS_MAIN_THREAD = """\
import ctypes, os, threading
def linger():
    with open('release') as release:
        release.read()
    os._exit(3)
threading.Thread(target=linger).start()
ctypes.CDLL(None).pthread_exit(None)
"""


def test_a_kernel_seen_ended_while_its_other_threads_end_is_answered_its_exit_code(
    tmp_path: Path,
) -> None:
    """A kernel is seen ended (a zombie) once its main thread has exited; its zygote can reap
    it only once its other threads (ipykernel's heartbeat, IOPub, control) have too. Asked in
    between, the zygote answered null, so the run's kernel counted as killed (-9), and the
    out-of-descriptors test above failed now and then under load: it waits for that end."""
    (tmp_path / "ipykernel_launcher.py").write_text(OUTLIVES_ITS_MAIN_THREAD)
    os.mkfifo(tmp_path / "release")
    zygote = Zygote()
    try:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
        kernel = zygote.fork(argv, dict(os.environ), str(tmp_path), str(tmp_path / "k.output"))
        forker = zygote_of(kernel)
        wait_until(lambda: gone(kernel), "the kernel's main thread to exit")
        with ThreadPoolExecutor(1) as asking:
            asked = asking.submit(zygote.exit_code, forker, kernel)
            wait_until(
                lambda: asked.done() or Path(f"/proc/{forker}/wchan").read_text() == "do_wait",
                "an answer, or the zygote waiting for its kernel",
            )
            os.close(os.open(tmp_path / "release", os.O_WRONLY))  # the thread left ends
            assert asked.result() == 3
    finally:
        zygote.close()


def test_a_kernel_out_of_file_descriptors_fails_its_start_saying_why_and_what_to_do(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The kernel's own output says the limit too, so its run's error does: it said only that
    the kernel "exited before it answered." Whether nbtools (its one line, in the zygote's
    stderr) or libzmq (its abort, once a client connects) meets the limit first, the error
    ends with what to do, and nothing of the kernel's is in this process's output."""
    zygote = Zygote()
    kernels = KernelSource(prestart=False, zygote=zygote)
    try:
        first = kernels.take("python3", tmp_path)
        forker = psutil.Process(zygote_of(first.km.provisioner.pid))  # type: ignore[union-attr]
        kernels.retire(first, wait=True)
        forker.rlimit(psutil.RLIMIT_NOFILE, (16, forker.rlimit(psutil.RLIMIT_NOFILE)[1]))
        with pytest.raises(KernelStartError) as failed:
            kernels.take("python3", tmp_path)
    finally:
        kernels.close()
    message = failed.value.message
    assert message.startswith(
        "kernel `python3` exited before it answered (its last line: Too many open files"
    ), message
    assert message.endswith(f"). {START_ADVICE}"), message
    said = capfd.readouterr().err
    assert all(line.startswith("nbtools: kernel ") for line in said.splitlines()), said
