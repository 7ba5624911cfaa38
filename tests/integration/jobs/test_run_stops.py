"""``nbtools run -o OUT`` stopped by a real SIGTERM (or SIGINT) at each phase a test reaches
for sure (the command held at a file it opens, :mod:`tests.held`), its kernel slow to start:
the command exits 143 (130) soon, its kernel gone, and OUT never left holding an earlier
run's notebook (docs/jobs.md, "nbtools run -o FILE")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from nbtools.processes import kill_tree
from nbtools.project import Project
from tests import held
from tests.conftest import NotebookFactory, exit_on_signal, nbtools, opened_for_writing
from tests.integration.jobs.conftest import SLOW, processes_with

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Kernel spec ``slow`` (it answers after 60 s) on JUPYTER_PATH; its command line carries
    the marker returned, to find its processes."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    spec = tmp_path / "jupyter" / "kernels" / "slow"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", SLOW, "60", "{connection_file}", marker]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "slow", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return marker


#: A kernel (``python -c ASKED CONNECTION_FILE FIFO MARKER``) that takes its shell port and,
#: once asked for its info (nbtools waits for its answer then: :func:`~nbtools.kernel_ready.
#: until_ready`), holds reading the named pipe FIFO, never answering.
ASKED = """import json, sys, zmq
info = json.load(open(sys.argv[1]))
shell = zmq.Context().socket(zmq.ROUTER)
sep = ":" if info["transport"] == "tcp" else "-"  # nbtools' kernels: ipc
shell.bind(f"{info['transport']}://{info['ip']}{sep}{info['shell_port']}")
shell.recv_multipart()
open(sys.argv[2]).read()
"""


@pytest.fixture
def earlier_output(tmp_path: Path, project: Project, notebook_factory: NotebookFactory) -> Path:
    """``out.ipynb``, a notebook nbtools wrote for ``nb.ipynb`` (whose kernel is ``slow``)
    before, in a project whose store is migrated already: an output a later ``nbtools run -o
    out.ipynb`` replaces without --force."""
    notebook_factory("nb.ipynb", [("code", "x = 1", ["parameters"])], kernel="slow")
    out = tmp_path / "out.ipynb"
    prepared = nbtools(tmp_path, "run", "nb.ipynb", "--prepare-only", "-o", str(out))
    assert prepared.exit_code == 0, prepared.output
    return out


def stopped_run(root: Path, stop: held.Stop, signum: int = signal.SIGTERM) -> tuple[int, str]:
    """``nbtools run nb.ipynb -o out.ipynb`` held at ``stop`` and sent ``signum`` there, then
    let go on: its exit code and standard error."""
    assert stop.fifo is not None
    command = held.command(root, "run", "nb.ipynb", "-o", "out.ipynb", stop=stop)
    with (root / "err.txt").open("wb") as err:
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=err)
    try:
        writer = opened_for_writing(stop.fifo, process)
        try:
            process.send_signal(signum)
        finally:
            os.close(writer)  # a stop that did not end the command: it goes on from there
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:  # the test failed: nothing left running
            kill_tree(process.pid)
            process.wait()
    return code, (root / "err.txt").read_text()


@pytest.mark.parametrize(
    ("signum", "said"),
    [
        (signal.SIGTERM, "nbtools: stopped by SIGTERM"),
        (signal.SIGINT, "\nnbtools: stopped by Ctrl-C"),
    ],
)
def test_a_stop_before_the_kernel_boots_removes_an_earlier_output_and_says_so(
    tmp_path: Path, slow_kernel: str, earlier_output: Path, signum: int, said: str
) -> None:
    """Held as it reads the notebook for its kernel's name: nothing queued, no kernel yet.
    OUT held the earlier run's notebook after such a stop (only a run that ended removed it)."""
    fifo = held.fifo(tmp_path / "hold")
    stop = held.Stop("open", "nb.ipynb", fifo=fifo)
    code, stderr = stopped_run(tmp_path, stop, signum)
    assert code == 128 + signum, stderr
    assert not earlier_output.exists()
    assert stderr == (
        "No executed notebook: nbtools run was stopped before it queued its run; "
        f"out.ipynb, an earlier run's, was removed.\n{said}.\n"
    )
    assert processes_with(slow_kernel) == []
    listed = nbtools(tmp_path, "runs", "list", "--json")
    assert json.loads(listed.stdout) == []


@pytest.mark.parametrize(
    ("module", "signum", "said"),
    [
        # while the console script imports the group: no option read yet
        ("nbtools.cli.app", signal.SIGTERM, "nbtools: stopped by SIGTERM"),
        ("nbtools.cli.app", signal.SIGINT, "\nnbtools: stopped by Ctrl-C"),
        # while the group imports the command, its options read, not the command's
        ("nbtools.cli.run_stops", signal.SIGTERM, "nbtools: stopped by SIGTERM"),
    ],
)
def test_a_stop_before_nbtools_read_its_options_removes_an_earlier_output_and_says_so(
    tmp_path: Path, slow_kernel: str, earlier_output: Path, module: str, signum: int, said: str
) -> None:
    """Held as it imports ``module``, before ``nbtools run`` read -o: OUT held the earlier
    run's notebook after the stop, and nothing said so."""
    fifo = held.fifo(tmp_path / "hold")
    code, stderr = stopped_run(tmp_path, held.Stop("import", module, fifo=fifo), signum)
    assert code == 128 + signum, stderr
    assert not earlier_output.exists()
    assert stderr == (
        "No executed notebook: nbtools run was stopped before it queued its run; "
        f"out.ipynb, an earlier run's, was removed.\n{said}.\n"
    )
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []


def test_a_stop_while_the_kernel_starts_cancels_the_run_at_once_and_kills_the_kernel(
    tmp_path: Path, slow_kernel: str, earlier_output: Path
) -> None:
    """Held as it opens the store to queue its run, its kernel booting (for 60 s): the run is
    cancelled and the kernel gone. (How soon is measured, not tested: docs/jobs.md.)"""
    fifo = held.fifo(tmp_path / "hold")
    stop = held.Stop("open", "migrate.lock", fifo=fifo)
    code, stderr = stopped_run(tmp_path, stop)
    assert code == 143, stderr
    assert processes_with(slow_kernel) == []
    assert not earlier_output.exists()
    assert stderr.splitlines() == [
        "No executed notebook: run 1 ended before its first cell; out.ipynb, an earlier "
        "run's, was removed."
    ]
    shown = json.loads(nbtools(tmp_path, "runs", "show", "1", "--json").stdout)
    assert shown["status"] == "cancelled"
    assert shown["error"]["message"] == "nbtools run received SIGTERM."


def test_a_stop_before_a_reproduction_is_queued_removes_the_earlier_output_too(
    tmp_path: Path, project: Project, notebook_factory: NotebookFactory
) -> None:
    """``--reproduce RUN -o OUT``, held as it reads RUN's notebook version from the store:
    OUT, RUN's own executed notebook, used to stay."""
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    out = tmp_path / "out.ipynb"
    first = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(out))
    assert first.exit_code == 0, first.output
    fifo = held.fifo(tmp_path / "hold")
    stop = held.Stop("open", "pack-", fifo=fifo)
    command = held.command(tmp_path, "run", "--reproduce", "1", "-o", "out.ipynb", stop=stop)
    with (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    assert exit_on_signal(fifo, process, signal.SIGTERM) == 143
    assert not out.exists()
    assert (tmp_path / "err.txt").read_text() == (
        "No executed notebook: nbtools run was stopped before it queued its run; "
        "out.ipynb, an earlier run's, was removed.\nnbtools: stopped by SIGTERM.\n"
    )
    runs = json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout)
    assert [run["id"] for run in runs] == [1]


def test_sigkill_while_the_kernel_starts_leaves_no_earlier_output(
    tmp_path: Path, slow_kernel: str, earlier_output: Path
) -> None:
    """Killed (SIGKILL, which nothing answers) once its run is queued, as it records the run's
    data uses, its kernel still starting: OUT held the earlier run's notebook after it."""
    stop = held.Stop("open", ".data-uses.jsonl")
    try:
        killed = held.run(tmp_path, "run", "nb.ipynb", "-o", "out.ipynb", stop=stop)
    finally:
        for pid in processes_with(slow_kernel):  # the orphaned kernel: nothing killed it
            kill_tree(pid)
    assert killed.returncode == held.KILLED, killed.stderr
    assert not earlier_output.exists()
    assert [path.name for path in tmp_path.glob("*out.ipynb*")] == []
    runs = json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout)
    assert [run["id"] for run in runs] == [1]


def test_sigkill_during_a_cell_leaves_no_earlier_output(
    tmp_path: Path, project: Project, notebook_factory: NotebookFactory
) -> None:
    """Killed (SIGKILL) while a cell runs (held reading a named pipe): OUT held the earlier
    run's notebook after it."""
    fifo = held.fifo(tmp_path / "hold")
    cell = f"import os\nopen('kernel.pid', 'w').write(str(os.getpid()))\nopen({str(fifo)!r}).read()"
    notebook_factory("nb.ipynb", [("code", "x = 1", ["parameters"]), ("code", cell, [])])
    out = tmp_path / "out.ipynb"
    prepared = nbtools(tmp_path, "run", "nb.ipynb", "--prepare-only", "-o", str(out))
    assert prepared.exit_code == 0, prepared.output
    process = subprocess.Popen(
        held.command(tmp_path, "run", "nb.ipynb", "-o", "out.ipynb"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:  # killed once the cell reads the pipe: the run is in it
        assert exit_on_signal(fifo, process, signal.SIGKILL) == held.KILLED
    finally:
        if (tmp_path / "kernel.pid").exists():  # the orphaned kernel: nothing killed it
            kill_tree(int((tmp_path / "kernel.pid").read_text()))
    assert not out.exists()
    assert [path.name for path in tmp_path.glob("*out.ipynb*")] == []
    shown = json.loads(nbtools(tmp_path, "runs", "show", "1", "--json").stdout)
    assert shown["status"] == "running"


def test_a_stop_while_nbtools_waits_for_the_kernel_s_answer_cancels_the_run_and_kills_it(
    tmp_path: Path,
    project: Project,
    notebook_factory: NotebookFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM once the kernel was asked for its info, which it never answers (held at a named
    pipe): it lands in :func:`~nbtools.kernel_ready.until_ready`'s wait on the kernel's
    exit (its pidfd), for sure. The run ends cancelled, the kernel killed, at once (no wait
    until the start timeout, an hour)."""
    fifo = held.fifo(tmp_path / "hold")
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    spec = tmp_path / "jupyter" / "kernels" / "asked"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", ASKED, "{connection_file}", str(fifo), marker]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "asked", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook_factory("nb.ipynb", [("code", "x = 1", [])], kernel="asked")
    command = held.command(
        tmp_path, "run", "nb.ipynb", "-o", "out.ipynb", "--start-timeout", "3600"
    )
    with (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    try:
        # the kernel reads the pipe once asked: nbtools waits for its answer
        assert exit_on_signal(fifo, process, signal.SIGTERM) == 143
    finally:
        for pid in processes_with(marker):  # the test failed: nothing left running
            kill_tree(pid)
    assert processes_with(marker) == []
    assert (tmp_path / "err.txt").read_text().splitlines() == [
        "No executed notebook: run 1 ended before its first cell; out.ipynb was not written."
    ]
    assert not (tmp_path / "out.ipynb").exists()
    shown = json.loads(nbtools(tmp_path, "runs", "show", "1", "--json").stdout)
    assert shown["status"] == "cancelled"
    assert shown["error"]["message"] == "nbtools run received SIGTERM."
