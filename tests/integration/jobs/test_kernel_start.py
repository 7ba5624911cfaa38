"""Kernel start-up under the run's heartbeat: slow kernels keep their lease, dead ones fail."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import zmq
from jupyter_client.channels import HBChannel
from jupyter_core.utils import run_sync

from nbtools.jobs.config import JobsSettings
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.reaper import reap_expired
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.runner import execute_run
from nbtools.jobs.runs import get_run
from nbtools.jobs.submit import queue_run
from nbtools.kernel_files import ARTIFACTS_PREFIX, KERNEL_FILES_PREFIX
from nbtools.kernel_ready import KernelStartError
from nbtools.kernels import RECONNECT_INTERVAL_MS, Kernel, KernelSource
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.project import Project
from tests.conftest import NotebookFactory, run_python
from tests.integration.jobs.conftest import SLOW, group_gone, processes_with, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def kernelspecs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels ``slow`` (answers after 6 s) and ``mute`` (never answers) on JUPYTER_PATH."""
    for name, delay in (("slow", "6"), ("mute", "100000")):
        spec = tmp_path / "jupyter" / "kernels" / name
        spec.mkdir(parents=True)
        argv = [sys.executable, "-c", SLOW, delay, "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": name, "language": "python"})
        )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


@pytest.fixture
def reaper(project: Project) -> Iterator[None]:
    """Another process's view: reaps expired leases every 0.2 s while the test runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.2):
            reap_expired(project.store)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


def execute(project: Project, kernel: str, start_timeout: float) -> dict[str, str | None]:
    run = queue_run(project, "nb.ipynb", {}, kernel_name=kernel)
    request = RunRequest.for_project(
        project, run.id, lease_seconds=3, kernel_start_timeout=start_timeout
    )
    kernels = KernelSource(prestart=False)
    try:
        execute_run(project, request, kernels)
    finally:
        kernels.close()
    with project.store.session() as session:
        ended = get_run(session, run.id)
    return {"status": ended.status, "name": ended.error_name, "message": ended.error_message}


@pytest.mark.usefixtures("kernelspecs", "reaper")
def test_a_kernel_slower_than_the_lease_keeps_its_run_alive(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "print('hi')", [])])
    assert execute(project, "slow", start_timeout=120) == {
        "status": "succeeded",
        "name": None,
        "message": None,
    }


@pytest.mark.usefixtures("kernelspecs", "reaper")
def test_a_kernel_that_never_answers_fails_the_run_naming_it(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "print('hi')", [])])
    assert execute(project, "mute", start_timeout=4) == {
        "status": "failed",
        "name": "KernelStartError",
        "message": "kernel `mute` did not start within 4 s.",
    }


@pytest.mark.usefixtures("kernelspecs")
def test_a_schedulers_kernels_get_its_start_timeout_setting_named_in_the_error(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A scheduler's runs waited 60 s for their kernel, whatever its settings: they wait
    ``JobsSettings.kernel_start_timeout_seconds`` (handed to its workers with each run), and
    the error of a kernel still silent then names that setting."""
    notebook_factory("nb.ipynb", [("code", "print('hi')", [])])
    settings = JobsSettings(workers=1, kernel_start_timeout_seconds=1.5)
    scheduler = settings.create_scheduler(project, DEFAULT_MAX_VALUE_BYTES)
    assert scheduler.executor is not None
    try:
        run = queue_run(project, "nb.ipynb", {}, kernel_name="mute")
        assert scheduler.tick().submitted == [run.id]
        ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
    finally:
        scheduler.executor.shutdown()
    assert (ended.status, ended.error_name, ended.error_message) == (
        "failed",
        "KernelStartError",
        "kernel `mute` did not start within 1.5 s; give it longer with "
        "JobsSettings.kernel_start_timeout_seconds.",
    )


def test_a_kernel_that_exits_before_it_answers_fails_the_run_with_its_last_line(
    project: Project,
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A kernel's own output is its own (docs/operations.md): a kernel that dies at start wrote
    why into the output of the process that started it (the scheduler's log) and its run said
    only that it exited; now the run's error ends with the kernel's last line."""
    spec = tmp_path / "jupyter" / "kernels" / "broken"
    spec.mkdir(parents=True)
    dies = "import sys; print('starting'); sys.exit('No module named nbtools_missing_kernel')"
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": [sys.executable, "-c", dies, "{connection_file}"], "display_name": "x"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook_factory("nb.ipynb", [("code", "print('hi')", [])])
    assert execute(project, "broken", start_timeout=60) == {
        "status": "failed",
        "name": "KernelStartError",
        "message": "kernel `broken` exited before it answered "
        "(its last line: No module named nbtools_missing_kernel).",
    }
    said = capfd.readouterr()
    assert "nbtools_missing_kernel" not in said.err
    assert "starting" not in said.out


def own_directories() -> set[str]:
    """This process's kernel directories (artifacts, kernel files) in the temporary directory."""
    mine = [f"{prefix}{os.getpid()}-" for prefix in (ARTIFACTS_PREFIX, KERNEL_FILES_PREFIX)]
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith(tuple(mine))}


def test_a_kernel_that_cannot_be_pre_started_is_left_to_the_next_take(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker pre-starts its next kernel where the last run's notebook was; that folder may
    be gone (deleted with the notebook): the worker goes on, and the next run gets a kernel."""
    gone = tmp_path / "deleted-with-its-notebook"
    kernels = KernelSource(prestart=True, wait_for_exit=False)
    before = own_directories()
    try:
        kernels.warm("python3", gone)
        assert "cannot pre-start kernel python3 in" in caplog.text
        kernels.warm("no-such-kernel", tmp_path)
        assert "cannot pre-start kernel no-such-kernel" in caplog.text
        # nothing left of either start (an unknown kernel's directories were, until this
        # process ended and another swept them)
        assert own_directories() == before
        kernel = kernels.take("python3", tmp_path)
        assert kernel.cwd == tmp_path
        kernels.retire(kernel, wait=True)
    finally:
        kernels.close()


def kernel_children() -> list[psutil.Process]:
    """This process's kernels still running (not zombies)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
    return found


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class HookFailed(Exception):
    pass


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("hook", ["on_start", "attach"])
def test_a_kernel_whose_start_fails_after_it_launched_leaves_nothing_open(
    tmp_path: Path, hook: str
) -> None:
    """A hook told of the kernel (a supervisor's ``on_start``, a watchdog's ``attach``) that
    raises: the kernel is killed and its client's and manager's sockets and contexts closed,
    so failed starts do not pile up open files (or a zmq context term() at collection).

    The client runs no heartbeat thread: jupyter_client's, stopped this soon after its start
    (before it set itself running), spun opening sockets until zmq refused with "Too many
    open files", an exception in a thread of the test process."""
    heartbeats: list[HBChannel] = []

    def fail(kernel: Kernel) -> None:
        heartbeats.extend(t for t in threading.enumerate() if isinstance(t, HBChannel))
        raise HookFailed(kernel.name)

    kernels = KernelSource(prestart=False, on_start=fail if hook == "on_start" else None)
    attach = fail if hook == "attach" else None
    try:
        with pytest.raises(HookFailed):  # once first: one-time imports and loop set-up
            kernels.take("python3", tmp_path, attach=attach)
        before = open_fds()
        for _ in range(3):
            with pytest.raises(HookFailed):
                kernels.take("python3", tmp_path, attach=attach)
        assert open_fds() <= before
        assert kernel_children() == []
        assert heartbeats == []
    finally:
        kernels.close()


def test_a_run_that_fails_after_its_notebook_ran_stops_its_kernel(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """An error past execution (here its HTML cannot be written: a folder has its name)
    reaches the caller, and the kernel the run used is stopped, not left running."""
    notebook_factory("nb.ipynb", [("code", "print('hi')", [])])
    run = queue_run(project, "nb.ipynb", {}, output_html=True)
    (run_dir(project, run.id) / "nb.html").mkdir(parents=True)
    kernels = KernelSource(prestart=False)
    try:
        with pytest.raises(IsADirectoryError):
            execute_run(project, RunRequest.for_project(project, run.id), kernels)
        assert kernel_children() == []
    finally:
        kernels.close()


def test_the_next_kernel_is_pre_started_once_the_runs_end_is_recorded(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A worker pre-starts the next run's kernel after recording this run's end, so a run's
    result does not wait for it. Closing the source leaves no kernel running."""
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    seen: list[bool] = []

    def started(kernel: Kernel) -> None:  # the run's end, as the store had it at each start
        with project.store.session() as session:
            seen.append(all(get_run(session, r.id).finished_at is not None for r in queued))

    queued = [queue_run(project, "nb.ipynb", {})]
    kernels = KernelSource(prestart=True, on_start=started)
    try:
        assert execute_run(project, RunRequest.for_project(project, queued[0].id), kernels)
        assert seen == [False, True]  # the run's kernel, then the next one after its end
        queued.append(queue_run(project, "nb.ipynb", {}))
        assert execute_run(project, RunRequest.for_project(project, queued[1].id), kernels)
        assert seen == [False, True, True]  # it took the pre-started one, then started another
    finally:
        kernels.close()
    assert kernel_children() == []


def test_a_kernel_spec_in_ipythons_directory_starts_without_importing_ipython(
    tmp_path: Path,
) -> None:
    """$IPYTHONDIR/kernels is searched as jupyter_client searches it, but the process starting
    the kernel (a one-shot `nbtools run`) never imports IPython to find that directory."""
    spec = tmp_path / "ipython" / "kernels" / "ipython-only"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "only here", "language": "python"})
    )
    code = (
        "import sys; from pathlib import Path\n"
        "from nbtools.kernels import KernelSource\n"
        "kernels = KernelSource(prestart=False)\n"
        f"kernel = kernels.take('ipython-only', Path({str(tmp_path)!r}))\n"
        "print(kernel.km.kernel_spec.display_name, 'IPython' in sys.modules)\n"
        "kernels.retire(kernel)\n"
    )
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    result = run_python(code, env=env)
    assert result.stdout.strip() == "only here False"


def test_a_kernels_client_tries_to_connect_again_every_few_milliseconds(tmp_path: Path) -> None:
    """The client connects before the kernel listens: it retries at a short interval, not
    zmq's 100 ms, so it is answered soon after the kernel binds (docs/performance.md)."""
    kernels = KernelSource(prestart=False)
    try:
        kernel = kernels.take("python3", tmp_path)
        kc = kernel.kc
        for channel in (kc.shell_channel, kc.iopub_channel, kc.control_channel, kc.stdin_channel):
            assert channel.socket.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_INTERVAL_MS
        kernels.retire(kernel, wait=True)
    finally:
        kernels.close()


def test_a_wrapper_kernel_runs_under_a_supervisor_that_ends_with_it(
    tmp_path: Path, wrapper_kernel: str
) -> None:
    """A kernel spec that runs no ``python -m`` (a shell script) is started under a small
    supervising interpreter: the kernel answers, an interrupt (SIGINT to its process group)
    leaves it and its supervisor running, and retiring it leaves nothing of its group."""
    kernels = KernelSource(prestart=False)
    try:
        kernel = kernels.take(wrapper_kernel, tmp_path)
        supervisor = psutil.Process(kernel.km.provisioner.pid)  # type: ignore[union-attr]
        assert supervisor.cmdline()[:3] == [sys.executable, "-I", "-S"]
        (child,) = supervisor.children()
        assert "ipykernel_launcher" in child.cmdline()
        run_sync(kernel.km.interrupt_kernel)()
        reply = run_sync(kernel.kc.execute_interactive)("import os; os.getppid()", silent=False)
        assert reply["content"]["status"] == "ok"
        assert run_sync(kernel.km.is_alive)()
        kernels.retire(kernel, wait=True)
    finally:
        kernels.close()
    assert group_gone(supervisor.pid)


#: A provisioner installed for the test (an entry point of a distribution on the path): the
#: local one, noting its class's name in the kernel's directory when it launches a kernel.
OWN_PROVISIONER = """\
from pathlib import Path
from jupyter_client.provisioning import LocalProvisioner

class Own(LocalProvisioner):
    async def launch_kernel(self, cmd, **kwargs):
        Path(kwargs["cwd"], "launched-by").write_text(type(self).__name__ + " " + cmd[1])
        return await super().launch_kernel(cmd, **kwargs)
"""


def test_a_kernel_spec_naming_its_own_provisioner_keeps_it(tmp_path: Path) -> None:
    """nbtools launches (watched) only the kernels jupyter_client's local provisioner would:
    a spec that names another provisioner is launched by it, as jupyter_client would."""
    site = tmp_path / "site"
    (site / "nbtools_test_provisioner-0.dist-info").mkdir(parents=True)
    (site / "nbtools_test_provisioner-0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: nbtools-test-provisioner\nVersion: 0\n"
    )
    (site / "nbtools_test_provisioner-0.dist-info" / "entry_points.txt").write_text(
        "[jupyter_client.kernel_provisioners]\nown = nbtools_test_provisioner:Own\n"
    )
    (site / "nbtools_test_provisioner.py").write_text(OWN_PROVISIONER)
    spec = tmp_path / "jupyter" / "kernels" / "own"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    metadata = {"kernel_provisioner": {"provisioner_name": "own"}}
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "own", "metadata": metadata})
    )
    code = (
        "from pathlib import Path\n"
        "from nbtools.kernels import KernelSource\n"
        "kernels = KernelSource(prestart=False)\n"
        f"kernels.retire(kernels.take('own', Path({str(tmp_path)!r})), wait=True)\n"
    )
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    run_python(code, env={**os.environ, "PYTHONPATH": path, "JUPYTER_PATH": str(spec.parents[1])})
    assert (tmp_path / "launched-by").read_text() == "Own -m"  # not watched: as the spec says


def test_a_kernel_prints_nothing_into_the_output_of_the_process_that_started_it(
    tmp_path: Path,
) -> None:
    """A kernel started for a run (not forked by the zygote: the Dask executor's, a server's
    with the zygote off) shares the starting process's output; ipykernel's banner for a
    kernel started by hand (Ctrl-C's note, the connection file) must not land there, once
    per run, in the scheduler's log."""
    code = (
        "from pathlib import Path\n"
        "from nbtools.kernels import KernelSource\n"
        "kernels = KernelSource(prestart=False)\n"
        f"kernel = kernels.take('python3', Path({str(tmp_path)!r}))\n"
        "print('taken', flush=True)\n"
        "kernels.retire(kernel, wait=True)\n"
        "kernels.close()\n"
    )
    result = run_python(code)
    assert result.stdout == "taken\n"


def test_a_silent_kernel_fails_its_start_at_a_timeout_under_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start timeout under the one-second slice the wait once took (each wait is now bounded
    by the time left, docs/jobs.md): the error names it and the kernel is gone afterwards. (How
    soon it fails is not asserted: a test asserts no time.) The kernel is a ``python -m``
    module, this process's own child: killed, it is gone at once (a supervised kernel's
    process is reaped by init, which can take a second here)."""
    (tmp_path / "mute_kernel.py").write_text("import time\ntime.sleep(100000)\n")
    spec = tmp_path / "jupyter" / "kernels" / "mute"
    spec.mkdir(parents=True)
    marker = f"nbtools-test-{uuid.uuid4().hex}"  # this test's kernel, not another checkout's
    argv = [sys.executable, "-m", "mute_kernel", "-f", "{connection_file}", marker]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "mute", "env": {"PYTHONPATH": str(tmp_path)}})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    kernels = KernelSource(prestart=False)
    try:
        with pytest.raises(KernelStartError) as failed:
            kernels.take("mute", tmp_path, None, 0.25)
    finally:
        kernels.close()
    assert failed.value.message == "kernel `mute` did not start within 0.25 s."
    assert processes_with(marker) == []
