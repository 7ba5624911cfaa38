"""A used kernel, retired, exits by itself (exit code 0) within its grace, its exit handlers
run: asked on its shell channel, never ipykernel's control-channel shutdown, which left about a
third of the kernels stalled for 10 s in a flush after their exit handlers, killed at the
grace (SIGKILL) meanwhile."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest
from jupyter_core.utils import run_sync

from nbtools import kernels as kernels_module
from nbtools.kernels import KernelSource
from nbtools.zygote import Zygote
from tests.conftest import NotebookFactory, nbtools
from tests.integration.jobs.conftest import gone, group_gone, wait_until

pytestmark = pytest.mark.slow

#: Kernels retired per case: with a third of them stalling, six find the stall 91 times in 100
#: (ipykernel 7.4 here; upstream's race, docs/performance.md).
KERNELS = 6
#: A grace far above any healthy exit, even on a loaded machine, and below the stall's 10 s.
GRACE = 5.0


#: (forked, wait): a forked kernel retired the way workers retire theirs (off their path); its
#: exit code is told once, by its zygote, and retiring with ``wait`` reads it first.
CASES = [(True, False), (False, False), (False, True)]


@pytest.mark.parametrize(
    ("forked", "wait"), CASES, ids=["forked", "new interpreter", "new interpreter, waited for"]
)
def test_a_retired_kernel_exits_by_itself_running_its_exit_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool, wait: bool
) -> None:
    monkeypatch.setattr(kernels_module, "SHUTDOWN_GRACE_SECONDS", GRACE)
    kernels = KernelSource(prestart=False, zygote=Zygote() if forked else None)
    marks = [tmp_path / f"exited-{number}" for number in range(KERNELS)]
    pids: list[int] = []
    codes: list[int | None] = []
    try:
        for mark in marks:
            kernel = kernels.take("python3", tmp_path)
            provisioner = kernel.km.provisioner
            assert provisioner is not None
            pid, process = provisioner.pid, getattr(provisioner, "process", None)
            parent = psutil.Process(pid).parent()
            assert parent is not None
            pids.append(pid)
            code = f"import atexit\natexit.register(open({str(mark)!r}, 'w').close)\nprint('ran')"
            reply = run_sync(kernel.kc.execute_interactive)(code, timeout=60)
            assert reply["content"]["status"] == "ok"
            kernels.retire(kernel, wait=wait)
            # without waiting, the grace runs in a detached shell: wait for the end here
            wait_until(lambda pid=pid: gone(pid), f"kernel {pid} to end", timeout=2 * GRACE)
            if forked:  # its zygote reaped it
                assert kernels.zygote is not None
                codes.append(kernels.zygote.exit_code(parent.pid, pid))
            else:
                assert process is not None
                codes.append(process.wait())
    finally:
        kernels.close()  # (which kills a zygote's kernels still running)
    assert codes == [0] * KERNELS  # none killed (-9) at the grace
    assert [mark.exists() for mark in marks] == [True] * KERNELS  # their exit handlers ran


#: A cell that ends 0.4 s past a one-second cell timeout: soon enough for a kernel asked to shut
#: down as the run ends (0.2 s for its answer, then 0.5 s of grace) to exit by itself.
OVERRUNS = "import time\ntime.sleep(1.4)"
#: A run's first cell: its kernel's pid in ``kernel.pid``, and an exit handler leaving
#: ``exited``, which only a kernel that exits by itself runs (never one killed).
NOTES_ITS_EXIT = (
    "import atexit, os\n"
    "open('kernel.pid', 'w').write(str(os.getpid()))\n"
    "atexit.register(open, os.path.abspath('exited'), 'w')"
)


def test_a_timed_out_run_s_kernel_is_killed_without_being_asked_to_shut_down(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """A kernel still executing the cell that timed out answers a shutdown request only after
    that cell: it was asked anyway, and waited for, before it was killed. Here the cell ends
    soon after its timeout, so a kernel asked would answer and exit by itself, its exit
    handler run; it is killed at once instead, never asked."""
    notebook_factory("nb.ipynb", [("code", NOTES_ITS_EXIT, []), ("code", OVERRUNS, [])])
    result = nbtools(tmp_path, "run", "--json", "nb.ipynb", "--cell-timeout", "1")
    assert result.exit_code == 1, result.output
    model = json.loads(result.stdout)
    assert (model["status"], model["error"]["name"]) == ("timed_out", "CellTimeoutError")
    assert gone(int((tmp_path / "kernel.pid").read_text()))  # before the command returned
    assert not (tmp_path / "exited").exists()  # killed: never asked to exit


def test_a_killed_wrapper_kernel_leaves_no_process_and_its_supervisor_reaped(
    tmp_path: Path, wrapper_kernel: str
) -> None:
    """A kernel spec that runs no ``python -m`` (a shell script) runs under a supervisor, this
    process's child; the kernel is the supervisor's. Killed together, the kernel is orphaned
    to init, which reaps it when it next looks (≈ 2 s later in some VMs): the kill
    waited for that (1.4 to 1.8 s per kill here). It reaps its own child, the supervisor,
    and takes the kernel's zombie as ended: nothing of the kernel runs once it returns."""
    kernels = KernelSource(prestart=False)
    try:
        kernel = kernels.take(wrapper_kernel, tmp_path)
        supervisor = psutil.Process(kernel.km.provisioner.pid)  # type: ignore[union-attr]
        (child,) = supervisor.children()
        kernels.retire(kernel, busy=True)  # the kill path: a kernel still executing a cell
    finally:
        kernels.close()
    assert not supervisor.is_running()  # reaped, not left a zombie of this process
    assert gone(child.pid)  # dead, maybe still init's zombie
    assert child.pid not in [process.pid for process in psutil.Process().children()]
    assert group_gone(supervisor.pid)
