"""``schedule run --wait`` and ``runs rerun --wait``: the command ends with the run a real
scheduler executes, and says how it ended by its exit code; it refuses to wait with no
scheduler serving the store, stops waiting (only) on Ctrl-C, and gives up when the scheduler
goes away while the run is queued."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.cli.follow import SCHEDULER_CHECK_EVERY
from nbtools.jobs.presence import Presence
from nbtools.project import Project
from nbtools.store import utcnow
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import wait_until
from tests.integration.test_cli_progress import at_terminal

pytestmark = pytest.mark.slow

CELLS = [
    ("code", "fail = False", ["parameters"]),
    ("code", "assert not fail, 'asked to fail'", []),
]


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), *args])


def command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nbtools.cli.main", "--root", str(root), *args]


@pytest.fixture
def job(project: Project, notebook_factory: NotebookFactory) -> int:
    notebook_factory("nb.ipynb", CELLS)
    added = nbtools(project.root, "schedule", "add", "nb.ipynb", "--name", "checks", "--json")
    assert added.exit_code == 0, added.output
    job_id: int = json.loads(added.stdout)["id"]
    return job_id


@pytest.fixture
def daemon(project: Project) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``nbtools scheduler`` on the project's store, once it serves it."""
    process = subprocess.Popen(
        command(project.root, "scheduler", "--workers", "1", "--poll", "0.2"),
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: json.loads(nbtools(project.root, "status", "--json").stdout)["schedulers"],
            "the scheduler to list itself",
        )
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def test_without_a_scheduler_wait_is_refused_and_nothing_is_queued(
    project: Project, job: int
) -> None:
    for args in (("schedule", "run", "checks", "--wait"), ("runs", "rerun", "1", "--wait")):
        refused = nbtools(project.root, *args)
        assert refused.exit_code == 2, refused.output
        assert "--wait: no scheduler serves this store" in refused.output
        assert "or queue the run without --wait" in refused.output
    assert json.loads(nbtools(project.root, "runs", "list", "--json").stdout) == []


def test_wait_ends_with_the_run_and_its_exit_code_says_how(
    project: Project, job: int, daemon: subprocess.Popen[bytes]
) -> None:
    passed = nbtools(project.root, "schedule", "run", "checks", "--wait")
    assert passed.exit_code == 0, passed.output
    assert passed.stderr == f"Queued run 1 of job {job}.\n"
    assert re.search(r"status\W+succeeded", passed.stdout), passed.stdout  # the run's listing
    failed = nbtools(project.root, "schedule", "run", "checks", "-p", "fail=True", "--wait")
    assert failed.exit_code == 1
    assert "Run 2 failed." in failed.stderr
    assert "AssertionError: asked to fail" in failed.stderr  # its traceback
    as_json = nbtools(project.root, "runs", "rerun", "2", "--wait", "--json")
    assert as_json.exit_code == 1
    model = json.loads(as_json.stdout)  # the ended run, as `runs show --json` has it
    assert (model["id"], model["status"], model["parameters"]) == (3, "failed", {"fail": True})
    assert as_json.stderr.startswith("Queued run 3.\n")


def test_ctrl_c_stops_the_waiting_not_the_run_and_a_gone_scheduler_ends_it(
    project: Project, job: int, tmp_path: Path
) -> None:
    """A scheduler's presence row without the scheduler: the store says it is served, and
    nothing takes the run, which stays queued."""
    served = Presence(project.store, "local", 60.0)
    served.start(utcnow())
    err = tmp_path / "err.txt"
    with err.open("wb") as sink:
        waiting = subprocess.Popen(
            command(project.root, "schedule", "run", "1", "--wait"), stderr=sink
        )
    wait_until(lambda: "Queued run 1" in err.read_text(), "the run to be queued")
    waiting.send_signal(signal.SIGINT)
    assert waiting.wait(timeout=60) == 130
    assert "Stopped waiting: run 1 goes on (`nbtools runs show 1`)." in err.read_text()
    assert "Traceback" not in err.read_text()
    assert json.loads(nbtools(project.root, "runs", "show", "1", "--json").stdout)["status"] == (
        "queued"
    )

    with err.open("wb") as sink:
        waiting = subprocess.Popen(
            command(project.root, "runs", "rerun", "1", "--wait"), stderr=sink
        )
    wait_until(lambda: "Queued run 2" in err.read_text(), "the run to be queued")
    served.stop()
    assert waiting.wait(timeout=SCHEDULER_CHECK_EVERY + 60) == 1
    said = err.read_text()
    assert "Run 2 is still queued: no scheduler serves this store any more" in said


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_wait_with_json_answers_the_stop_naming_the_run_that_goes_on(
    project: Project, job: int, tmp_path: Path, signum: int
) -> None:
    """Ctrl-C, or SIGTERM (a CI step's time limit), while waiting: the run goes on, and with
    --json stdout holds the stop as the command's error, naming the run so that a script
    can find it; SIGTERM says which run goes on as Ctrl-C does. (A scheduler's presence row
    without the scheduler: the run stays queued.)"""
    served = Presence(project.store, "local", 60.0)
    served.start(utcnow())
    out, err = tmp_path / "out.json", tmp_path / "err.txt"
    try:
        with out.open("wb") as answer, err.open("wb") as said:
            waiting = subprocess.Popen(
                command(project.root, "schedule", "run", "checks", "--wait", "--json"),
                stdout=answer,
                stderr=said,
            )
        try:
            wait_until(lambda: "Queued run 1 of job" in err.read_text(), "the run to be queued")
            waiting.send_signal(signum)
            assert waiting.wait(timeout=60) == 128 + signum, err.read_text()
        finally:
            if waiting.poll() is None:
                waiting.kill()
                waiting.wait()
    finally:
        served.stop()
    goes_on = "Stopped waiting: run 1 goes on (`nbtools runs show 1`)."
    assert json.loads(out.read_text()) == {
        "error": "Stopped",
        "message": goes_on,
        "details": {"signal": signal.Signals(signum).name, "run_id": 1},
    }
    said_text = err.read_text()
    assert said_text.endswith(f"{goes_on}\n")  # said once, the last line
    assert said_text.count(goes_on) == 1
    assert "Traceback" not in said_text
    assert json.loads(nbtools(project.root, "runs", "show", "1", "--json").stdout)["status"] == (
        "queued"
    )


def test_at_a_terminal_the_waited_run_shows_its_cells_then_only_its_result(
    project: Project, notebook_factory: NotebookFactory, daemon: subprocess.Popen[bytes]
) -> None:
    """The bar reads the run's progress as its worker records it (each second)."""
    notebook_factory(
        "slow.ipynb", [("code", "import time", []), *[("code", "time.sleep(1.5)", [])] * 3]
    )
    assert nbtools(project.root, "schedule", "add", "slow.ipynb").exit_code == 0
    code, out, terminal = at_terminal(project.root, "schedule", "run", "1", "--wait")
    assert code == 0, terminal
    frames = [line.strip() for line in terminal.splitlines() if line.startswith("Run 1:")]
    assert any(re.match(r"Run 1: cell [234] .* [123]/4 cells", frame) for frame in frames), frames
    assert re.search(r"status\W+succeeded", out), out
    assert "cells 0:00" not in out


def test_a_run_its_job_retries_is_waited_for_until_its_last_attempt(
    project: Project,
    notebook_factory: NotebookFactory,
    daemon: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    """CI waits for the job's result, not its first attempt's: a failed attempt is said on
    standard error, and the waiting goes on with the retry."""
    marker = tmp_path / "attempted"
    first_fails = (
        f"import pathlib\nmarker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n"
        "    marker.touch()\n"
        "    raise RuntimeError('the first attempt fails')"
    )
    notebook_factory("flaky.ipynb", [("code", first_fails, [])])
    added = nbtools(
        project.root, "schedule", "add", "flaky.ipynb", "--retries", "2", "--retry-backoff", "1"
    )
    assert added.exit_code == 0, added.output
    waited = nbtools(project.root, "schedule", "run", "1", "--wait", "--json")
    assert waited.exit_code == 0, waited.output
    model = json.loads(waited.stdout)
    assert (model["id"], model["status"], model["attempt"], model["retry_of"]) == (
        2,
        "succeeded",
        2,
        1,
    )
    assert re.search(
        r"Run 1 failed \(attempt 1\); its job retries it as run 2, due ", waited.stderr
    )
    first = nbtools(project.root, "runs", "show", "1").stdout
    assert re.search(r"retried as\W+run 2", first), first
    assert re.search(r"retry of\W+run 1", nbtools(project.root, "runs", "show", "2").stdout)
    # A run that fails every attempt ends the waiting with its last one.
    marker.unlink()
    nbtools(project.root, "schedule", "edit", "1", "--retries", "0")
    last = nbtools(project.root, "schedule", "run", "1", "--wait")
    assert last.exit_code == 1
    assert "Run 3 failed." in last.stderr
    assert "retries it" not in last.stderr
