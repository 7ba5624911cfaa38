"""No run left running, no process left behind: real signals to a real ``nbtools run``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs.config import MIN_LEASE_SECONDS
from nbtools.jobs.runs import get_run
from nbtools.kernel_files import ARTIFACTS_PREFIX, KERNEL_FILES_PREFIX, sweep_leftovers
from nbtools.project import Project
from tests import held
from tests.conftest import NotebookFactory, exit_on_signal
from tests.integration.jobs.conftest import gone, processes_with, spawner, wait_until

pytestmark = pytest.mark.slow

NBTOOLS = str(Path(sys.executable).parent / "nbtools")
#: A run's lease for the tests that wait for it to expire (the default is 30 s), long enough
#: for a request to come before it does on a loaded machine.
SHORT_LEASE = 8


def nbtools_json(root: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--root", str(root), *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def start_run(root: Path, lease: float | None = None) -> subprocess.Popen[bytes]:
    """``nbtools run nb.ipynb --json`` in its own process (its run's lease ``lease`` seconds,
    else the default); returns once its notebook runs.

    Its output goes to files (``out.json``, ``err.txt``): processes it leaves behind would
    hold a pipe open.
    """
    env = {**os.environ}
    if lease is not None:
        env["NBTOOLS_JOBS_STALE_AFTER_SECONDS"] = str(lease)
    with (root / "out.json").open("wb") as out, (root / "err.txt").open("wb") as err:
        process = subprocess.Popen(
            [NBTOOLS, "--root", str(root), "run", "nb.ipynb", "--json"],
            stdout=out,
            stderr=err,
            env=env,
        )
    wait_until(lambda: (root / "started").exists() or process.poll() is not None, "the run")
    assert process.poll() is None, (root / "err.txt").read_text()
    return process


def ended(process: subprocess.Popen[bytes], root: Path) -> tuple[Any, str]:
    """Wait for ``process``; its JSON output and its standard error."""
    process.wait(timeout=120)
    return json.loads((root / "out.json").read_text()), (root / "err.txt").read_text()


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        ([signal.SIGTERM], 143),
        ([signal.SIGINT], 130),
    ],
)
def test_a_signal_cancels_the_run_kills_its_processes_and_exits_128_plus_it(
    tmp_path: Path, notebook_factory: NotebookFactory, signals: list[int], code: int
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", spawner(marker), [])])
    process = start_run(tmp_path)
    assert processes_with(marker)
    for signum in signals:
        process.send_signal(signum)
    model, stderr = ended(process, tmp_path)
    assert process.returncode == code, stderr
    assert model["status"] == "cancelled"
    assert model["error"]["message"] == (f"nbtools run received {signal.Signals(signals[0]).name}.")
    assert "Traceback" not in stderr
    assert processes_with(marker) == []
    assert nbtools_json(tmp_path, "runs", "show", "1")["status"] == "cancelled"
    listed = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "runs", "list"], env={"COLUMNS": "200"}
    )
    assert "Cancelled: nbtools run received" in listed.output  # the error's name once
    assert "Cancelled: Cancelled" not in listed.output


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")]
)
def test_a_command_stopped_before_it_answers_prints_the_stop_as_its_json_error(
    tmp_path: Path, signum: int, said: str, notebook_factory: NotebookFactory
) -> None:
    """Ctrl-C or SIGTERM before ``nbtools run`` has queued its run (here held as it opens
    its notebook): with --json, stdout holds the stop as the command's error, as it holds any
    error met before the answer; nothing was queued."""
    notebook_factory("nb.ipynb", [("code", "1", [])])
    fifo = held.fifo(tmp_path / "hold")
    command = held.command(
        tmp_path, "run", "nb.ipynb", "--json", stop=held.Stop("open", "nb.ipynb", fifo=fifo)
    )
    with (tmp_path / "out.json").open("wb") as out, (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=err)
    assert exit_on_signal(fifo, process, signum) == 128 + signum
    stderr = (tmp_path / "err.txt").read_text()
    assert json.loads((tmp_path / "out.json").read_text()) == {
        "error": "Stopped",
        "message": f"nbtools: stopped by {said}.",
        "details": {"signal": signal.Signals(signum).name},
    }
    assert stderr.strip() == f"nbtools: stopped by {said}."  # once, on stderr too
    assert nbtools_json(tmp_path, "runs", "list") == []


def test_signals_sent_at_once_cancel_the_run_once_and_the_exit_code_names_the_one_handled(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Ctrl-C pressed twice and a ``kill`` in the same instant: one cancellation, by the
    signal handled first. Linux hands signals sent together to whichever of the process's
    threads it wakes, so which one that is is not defined (a SIGTERM can be handled before
    a SIGINT sent earlier); the exit code and the run's message agree on it."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", spawner(marker), [])])
    process = start_run(tmp_path)
    assert processes_with(marker)
    for signum in (signal.SIGINT, signal.SIGINT, signal.SIGTERM):
        process.send_signal(signum)
    model, stderr = ended(process, tmp_path)
    assert process.returncode in (130, 143), stderr
    first = signal.Signals(process.returncode - 128).name
    assert model["status"] == "cancelled"
    assert model["error"]["message"] == f"nbtools run received {first}."
    assert "Traceback" not in stderr
    assert processes_with(marker) == []
    assert nbtools_json(tmp_path, "runs", "show", "1")["status"] == "cancelled"


def test_runs_cancel_from_another_process_stops_a_cli_run_without_a_scheduler(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", spawner(marker), [])])
    process = start_run(tmp_path)
    assert nbtools_json(tmp_path, "runs", "cancel", "1")["cancel_requested"] is True
    model, _ = ended(process, tmp_path)
    assert process.returncode == 1
    assert model["status"] == "cancelled"
    assert model["error"] == {
        "name": "Cancelled",
        "message": "A cancel was requested; its kernel was stopped.",
        "cell": 0,
    }
    assert processes_with(marker) == []


def test_runs_cancel_wait_returns_once_the_run_has_ended(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", spawner(marker), [])])
    process = start_run(tmp_path)
    cancel = ["--root", str(tmp_path), "runs", "cancel", "1", "--wait"]
    waited = CliRunner().invoke(cli, cancel)
    assert (waited.exit_code, waited.stdout) == (0, "Run 1 cancelled.\n")  # ended, not asked
    model, _ = ended(process, tmp_path)
    assert model["status"] == "cancelled"
    assert processes_with(marker) == []
    again = CliRunner().invoke(cli, cancel)
    assert again.exit_code == 2  # it ended: nothing to cancel
    assert "already ended (cancelled)" in again.output


def test_a_killed_cli_run_is_ended_by_the_next_reader_once_its_lease_expires(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Nothing happens before the lease expires (the shortest, no reader comes meanwhile)."""
    notebook_factory("nb.ipynb", [("code", spawner("unused", then="time.sleep(300)"), [])])
    process = start_run(tmp_path, lease=MIN_LEASE_SECONDS)
    process.kill()  # SIGKILL: nothing of nbtools runs any more
    process.wait()
    project = Project(tmp_path)
    with project.store.session() as session:
        run = get_run(session, 1)
    project.close()
    assert run.status == "running"
    assert run.lease_expires_at is not None
    assert run.heartbeat_at is not None
    assert run.lease_expires_at - run.heartbeat_at == timedelta(seconds=MIN_LEASE_SECONDS)
    # No scheduler: `runs list` itself ends the run whose lease ran out.
    wait_until(
        lambda: nbtools_json(tmp_path, "runs", "list")[0]["status"] != "running",
        "the lease to expire",
    )
    model = nbtools_json(tmp_path, "runs", "show", "1")
    assert model["status"] == "failed"
    assert model["error"]["name"] == "WorkerLost"
    kernel_child = int((tmp_path / "started").read_text())
    wait_until(lambda: gone(kernel_child), "the kernel to kill its process group")


def test_a_cli_run_killed_outright_leaves_no_process_and_its_kernel_files_are_swept(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """SIGKILL to ``nbtools run``: nothing of nbtools can act any more, but its kernel
    watches it and kills its own process group, itself and what the notebook started, about
    a second later. The kernel's directory (its connection file, holding its key, and its
    sockets) and its artifacts directory stay until the next process closing its kernels
    sweeps what processes that are gone left."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", spawner(marker), [])])
    process = start_run(tmp_path)
    try:
        (child,) = processes_with(marker)
        kernel = psutil.Process(child).parent()
        assert kernel is not None
        (files,) = Path(tempfile.gettempdir()).glob(f"{KERNEL_FILES_PREFIX}{process.pid}-*")
        assert (files / "kernel.json").is_file()
        (artifacts,) = Path(tempfile.gettempdir()).glob(f"{ARTIFACTS_PREFIX}{process.pid}-*")
        process.kill()
        process.wait()
        wait_until(
            lambda: processes_with(marker) == [] and gone(kernel.pid),
            "the kernel to kill its process group",
            timeout=60,
        )
    finally:
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
    assert files.is_dir()  # nothing of nbtools ran after the kill
    assert sweep_leftovers(older_than=0) >= 2
    assert not files.exists()
    assert not artifacts.exists()


def test_cancelling_a_run_whose_process_died_ends_it_at_once(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", spawner("unused"), [])])
    process = start_run(tmp_path, lease=SHORT_LEASE)
    process.kill()
    process.wait()
    child = int((tmp_path / "started").read_text())
    wait_until(lambda: gone(child), "the kernel to kill its process group")
    # Before the lease expires, a cancel is a request; after, the run ends cancelled at once.
    assert nbtools_json(tmp_path, "runs", "cancel", "1")["cancel_requested"] is True
    wait_until(
        lambda: nbtools_json(tmp_path, "runs", "show", "1")["status"] != "running",
        "the lease to expire",
    )
    assert nbtools_json(tmp_path, "runs", "show", "1")["status"] == "cancelled"


def test_a_killed_kernel_takes_its_children_along(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    then = "os.kill(os.getpid(), signal.SIGKILL)"
    notebook_factory("nb.ipynb", [("code", spawner(marker, then=then), [])])
    model = nbtools_json(tmp_path, "run", "nb.ipynb")
    assert model["status"] == "failed"
    assert model["error"]["name"] == "DeadKernelError"
    assert (tmp_path / "started").exists()
    assert processes_with(marker) == []
