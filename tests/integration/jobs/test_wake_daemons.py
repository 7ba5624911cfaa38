"""A run queued by another process starts in ``nbtools scheduler`` daemons whose poll interval
is a day: past their first tick no poll comes during the test, so a run that starts at all was
started by the wake-up. (No time is asserted: the runs are awaited like any other.)"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import kill_tree, scheduler_of, wait_for, wait_until

pytestmark = pytest.mark.slow

#: The daemons' poll interval: longer than any test, so only a wake-up starts a later run.
POLL_SECONDS = 86_400.0

Daemons = Callable[[Project], subprocess.Popen[bytes]]


def cli(project: Project) -> list[str]:
    return [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root), "--db-url",
            project.db_url]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def store_project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    url = "" if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    opened = Project(tmp_path, db_url=url)
    opened.store  # noqa: B018 - migrated before a daemon opens it
    yield opened
    opened.close()


@pytest.fixture
def daemons() -> Iterator[Daemons]:
    """Starts ``nbtools scheduler --workers 1 --poll 86400`` daemons on a project."""
    started: list[subprocess.Popen[bytes]] = []

    def start(project: Project) -> subprocess.Popen[bytes]:
        command = [*cli(project), "scheduler", "--workers", "1", "--poll", str(POLL_SECONDS)]
        started.append(subprocess.Popen(command))
        return started[-1]

    yield start
    for process in started:
        kill_tree(psutil.Process(process.pid))


@pytest.fixture
def quick(notebook_factory: NotebookFactory) -> str:
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"]), ("code", "n * 2", [])])
    return "quick.ipynb"


def finished(run: Run) -> bool:
    return run.finished_at is not None


def test_a_run_queued_by_the_cli_is_started_by_the_wake_up(
    store_project: Project, quick: str, daemons: Daemons
) -> None:
    project = store_project
    warm = queue_run(project, quick, {"n": 1})  # found by the daemon's first tick
    daemons(project)
    assert wait_for(project, warm.id, finished).status == "succeeded"

    rerun = subprocess.run(
        [*cli(project), "runs", "rerun", str(warm.id), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    run_id = json.loads(rerun.stdout)["id"]
    assert wait_for(project, run_id, finished).status == "succeeded"


def test_two_daemons_are_both_woken(
    project: Project, quick: str, sleeper: Path, daemons: Daemons
) -> None:
    """Each daemon has one worker: two sleeping runs running at once run in both."""
    project.store  # noqa: B018 - migrated before the daemons open it
    warm = [queue_run(project, quick, {"n": n}).id for n in range(2)]
    first, second = daemons(project), daemons(project)
    sockets = project.store_dir / "nbtools.db-wake"
    wait_until(lambda: len(list(sockets.glob("*.sock"))) == 2, "both daemons listening")
    for run_id in warm:
        wait_for(project, run_id, finished)

    sleeping = [queue_run(project, "sleep.ipynb", {}).id for _ in range(2)]
    running = [wait_for(project, r, lambda r: r.current_cell == 1) for r in sleeping]
    owners = {scheduler_of(run) for run in running}
    assert owners == {first.pid, second.pid}
