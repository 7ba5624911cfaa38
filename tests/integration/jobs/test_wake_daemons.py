"""A run queued by another process starts at once in ``nbtools scheduler`` daemons whose
poll interval is far longer than the test: the wake-up, not the poll, started it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from nbtools.jobs.runs import get_run
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import kill_tree, scheduler_of, wait_for, wait_until

pytestmark = pytest.mark.slow

#: The daemons' poll interval: a run they start sooner after their last tick was woken.
POLL_SECONDS = 60.0

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
    """Starts ``nbtools scheduler --workers 1 --poll 60`` daemons on a project."""
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


def before_the_poll(
    project: Project, run_id: int, since: float, done: Callable[[Run], bool]
) -> Run:
    """The run once ``done``; fails if it took the daemons' whole poll interval after ``since``
    (a moment after their last tick), when a poll could have found it."""
    while True:
        with project.store.session() as session:
            run = get_run(session, run_id)
        if done(run):
            return run
        assert time.monotonic() - since < POLL_SECONDS, f"run {run_id} waited for the poll"
        time.sleep(0.05)


def finished(run: Run) -> bool:
    return run.finished_at is not None


def test_a_run_queued_by_the_cli_starts_before_the_poll(
    store_project: Project, quick: str, daemons: Daemons
) -> None:
    project = store_project
    warm = queue_run(project, quick, {"n": 1})  # found by the daemon's first tick
    daemons(project)
    assert wait_for(project, warm.id, finished).status == "succeeded"
    since = time.monotonic()  # the daemon's last tick followed that run's end

    rerun = subprocess.run(
        [*cli(project), "runs", "rerun", str(warm.id), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    run_id = json.loads(rerun.stdout)["id"]
    assert before_the_poll(project, run_id, since, finished).status == "succeeded"


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
    since = time.monotonic()  # both daemons ticked (at start, or when a run ended) before this

    sleeping = [queue_run(project, "sleep.ipynb", {}).id for _ in range(2)]
    running = [before_the_poll(project, r, since, lambda r: r.current_cell == 1) for r in sleeping]
    owners = {scheduler_of(run) for run in running}
    assert owners == {first.pid, second.pid}
