"""A shared pool of warm workers, helpers to wait for runs (no timing assertions), and the
kernel zygote's helpers (which zygote forked a kernel, an executor of a test's own)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from nbtools import processes
from nbtools.jobs.config import JobsSettings
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.runs import get_run
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.tables import Run
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.project import Project

#: A kernel slow to start (``python -c SLOW SECONDS CONNECTION_FILE``): sleeps ``SECONDS``,
#: then becomes an ipykernel.
SLOW = (
    "import runpy, sys, time; time.sleep(float(sys.argv[1])); "
    "sys.argv = ['ipykernel_launcher', '-f', sys.argv[2]]; "
    "runpy.run_module('ipykernel_launcher', run_name='__main__')"
)

#: A cell that writes a line to its kernel's own fd 2 (the kernel's output file, through
#: ipykernel's pipe: it waits until the line is there), then kills its kernel.
SAYS_AND_DIES = """import os, signal, time
from ipykernel import get_connection_file
output = os.path.join(os.path.dirname(get_connection_file()), 'output')
os.write(2, b'model weights corrupt: giving up\\n')
while b'giving up' not in open(output, 'rb').read():
    time.sleep(0.01)
os.kill(os.getpid(), signal.SIGKILL)"""

#: Notes that it started (a ``started`` file), then waits for a ``go`` file before it ends:
#: a run held running until the test lets it go.
WAITS_FOR_GO = (
    "import os, time\n"
    "open('started', 'w').close()\n"
    "while not os.path.exists('go'):\n"
    "    time.sleep(0.05)"
)

#: ``JobsSettings.progress_save_seconds`` of the tests that wait for a run to save its
#: progress (5 s by default); a cell running :data:`UNTIL_SAVED` ends past it, so the notebook
#: is saved as that cell ends, before the next cell starts.
PROGRESS_SAVE_SECONDS = 0.1
UNTIL_SAVED = "import time\ntime.sleep(0.3)"

#: Sleeps for two minutes the first time (leaving a marker), finishes at once after that.
ONCE_SLOW = [
    ("code", "import os, time", []),
    (
        "code",
        "if not os.path.exists('attempted'):\n"
        "    open('attempted', 'w').close()\n"
        "    open('kernel.pid', 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)",
        [],
    ),
]


class DoneLog:
    """Records executor completions; lets a test wait for one."""

    def __init__(self) -> None:
        self.done: dict[int, str | None] = {}
        self._changed = threading.Condition()

    def __call__(self, run_id: int, status: str | None, error: BaseException | None = None) -> None:
        with self._changed:
            self.done[run_id] = status
            self._changed.notify_all()

    def wait(self, run_id: int, timeout: float = 120) -> str | None:
        with self._changed:
            assert self._changed.wait_for(lambda: run_id in self.done, timeout), run_id
            return self.done[run_id]


@pytest.fixture(scope="module")
def shared_done_log() -> DoneLog:
    return DoneLog()


@pytest.fixture
def done_log(shared_done_log: DoneLog) -> DoneLog:
    """The pool's completions, emptied per test (each test's store numbers runs from 1)."""
    shared_done_log.done.clear()
    return shared_done_log


@pytest.fixture(scope="module")
def executor(
    shared_done_log: DoneLog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalExecutor]:
    pool = LocalExecutor(2, shared_done_log, cwd=tmp_path_factory.mktemp("executor"))
    pool.start()
    yield pool
    pool.shutdown()


def request(project: Project, run_id: int) -> RunRequest:
    return RunRequest(run_id, str(project.root), str(project.store_dir), project.db_url)


def wait_for(project: Project, run_id: int, predicate: Callable[[Run], bool]) -> Run:
    """Poll the store until the run satisfies ``predicate`` (fails after two minutes)."""
    deadline = time.monotonic() + 120
    while True:
        with project.store.session() as session:
            run = get_run(session, run_id)
        if predicate(run):
            return run
        assert time.monotonic() < deadline, f"run {run_id} stuck in {run.status}"
        time.sleep(0.05)


@pytest.fixture
def sleeper(notebook_factory: Callable[..., Path]) -> Path:
    """A notebook that reports its kernel's pid, then sleeps for two minutes."""
    return notebook_factory(
        "sleep.ipynb",
        [
            ("code", "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))", []),
            ("code", "time.sleep(120)", []),
        ],
    )


def spawner(marker: str, then: str = "time.sleep(300)") -> str:
    """Notebook code: start a child process carrying ``marker`` on its command line, note
    ``started``, then ``then`` (sleep by default)."""
    return (
        "import os, signal, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
        f"{marker!r}])\n"
        "open('started', 'w').write(str(child.pid))\n"
        f"{then}"
    )


def processes_with(marker: str) -> list[int]:
    """Pids of live (not zombie) processes whose command line contains ``marker`` (/proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def wrapper_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec ``wrapped`` whose argv is a shell running ipykernel, not ``python -m``
    (on JUPYTER_PATH, for this process and those it starts from now on)."""
    spec = tmp_path / "jupyter" / "kernels" / "wrapped"
    spec.mkdir(parents=True)
    argv = ["/bin/sh", "-c", f"exec {sys.executable} -m ipykernel_launcher -f {{connection_file}}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "wrapped", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "wrapped"


def group_gone(group: int) -> bool:
    """Whether no live process (zombies aside) is left in process group ``group``."""
    for process in psutil.process_iter():
        with contextlib.suppress(OSError, psutil.Error):
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                return False
    return True


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll ``predicate`` until true (fails after ``timeout`` seconds, naming ``what``)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def daemon(project: Project) -> Iterator[subprocess.Popen[bytes]]:
    """``nbtools scheduler`` with one worker on the test's project, polling every 0.2 s; the
    environment is the test's when it is requested (a kernel spec set up before it)."""
    project.store  # noqa: B018 - migrate before the daemon opens the store
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nbtools.cli.main",
            "--root",
            str(project.root),
            "scheduler",
            "--workers",
            "1",
            "--poll",
            "0.2",
        ],
        stderr=subprocess.PIPE,
    )
    yield process
    processes.kill_tree(process.pid)  # a worker or kernel that ends meanwhile is simply gone
    process.wait()


def kill_tree(process: psutil.Process) -> None:
    """Kill ``process`` and its descendants; one that ends meanwhile (a kernel retired, a
    worker stopping) is simply gone."""
    tree = [*process.children(recursive=True), process]
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(tree, timeout=10)


def scheduler_of(run: Run) -> int:
    """The pid of the ``nbtools scheduler`` whose worker process executes ``run``."""
    assert run.worker is not None
    return psutil.Process(int(run.worker.rsplit(":", 1)[1])).ppid()


# -- the kernel zygote ------------------------------------------------------------------

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


# -- the Dask executor -------------------------------------------------------------------


@pytest.fixture
def dask_project(tmp_path: Path, postgres_url: str) -> Iterator[Project]:
    """A project on PostgreSQL (which Dask workers reach), migrated."""
    project = Project(tmp_path, db_url=postgres_url)
    project.store  # noqa: B018 - migrate before workers connect
    yield project
    project.close()


def dask_scheduler(project: Project, cluster: Any, **settings: Any) -> Scheduler:
    """A scheduler of ``project`` with the dask executor on ``cluster`` (its
    ``scheduler_address``), polling every 0.1 s."""
    jobs = JobsSettings(
        executor="dask", dask_address=cluster.scheduler_address, poll_seconds=0.1, **settings
    )
    return jobs.create_scheduler(project, DEFAULT_MAX_VALUE_BYTES)


class Running:
    """A scheduler loop in a thread."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.scheduler.run_forever, args=(self._stop,))
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.scheduler.wake()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the scheduler loop did not stop"
        assert self.scheduler.executor is not None
        self.scheduler.executor.shutdown()
