"""A run ended lost by another process than its worker keeps what its worker left in the
output directory it recorded when it started (no kernel here: the worker's steps are the store
calls a worker makes, its files written as it writes them)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from nbtools.config import DATA_USES_FILE
from nbtools.data.uses import runs_uses
from nbtools.jobs import run_files, runs
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.tables import Run
from nbtools.project import Project
from tests.clock import Clock
from tests.conftest import make_notebook

WORKER = "gone-host:1"
USE = {"dataset": "customers", "mode": "read", "classification": "personal", "location": "c.csv"}


def started(project: Project, output_dir: Path | str | None) -> Run:
    """A run claimed by a worker that recorded ``output_dir`` at its start, as the runner
    does (None: it writes to a scratch directory, recorded at its end)."""
    with project.store.session(write=True) as session:
        run = runs.new_run(None, trigger="manual", notebook_path="nb.ipynb")
        session.add(run)
    claimed = runs.claim(project.store, run.id, WORKER)
    assert claimed is not None
    if output_dir is not None:
        runs.record_start(project.store, run.id, WORKER, output_dir=str(output_dir), outputs=[])
    return claimed


def reading_a_dataset(project: Project) -> tuple[Path, Run]:
    """A run started in its recorded output directory, where its worker has written so far
    that it read the dataset ``USE``: the directory and the run."""
    out = run_files.run_dir(project, 1)
    run = started(project, out)
    out.mkdir(parents=True)
    (out / DATA_USES_FILE).write_text(json.dumps(USE) + "\n")
    return out, run


def reaped(project: Project, run: Run) -> Run:
    assert run.heartbeat_at is not None
    later = Clock(run.heartbeat_at + timedelta(minutes=5))
    assert Scheduler(project, clock=later).tick().reaped == [run.id]
    with project.store.session() as session:
        ended = runs.get_run(session, run.id)
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    return ended


def datasets(project: Project, run: Run) -> list[str]:
    with project.store.connection() as connection:
        return [use.dataset for use in runs_uses(connection, [run.id])[run.id]]


def test_a_reaped_run_keeps_its_saved_notebook_and_the_datasets_it_recorded(
    project: Project,
) -> None:
    out, run = reading_a_dataset(project)
    (out / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    with project.store.session() as session:  # while it runs, it shows no output
        assert run_files.output_files(runs.get_run(session, run.id)) == {}
    ended = reaped(project, run)
    assert (ended.output_dir, ended.outputs) == (str(out), ["notebook"])
    assert run_files.output_files(ended)["notebook"].location == str(out / "nb.ipynb")
    assert datasets(project, ended) == ["customers"]


def test_a_reaped_run_that_saved_nothing_yet_keeps_its_datasets_and_no_output(
    project: Project,
) -> None:
    _, run = reading_a_dataset(project)
    ended = reaped(project, run)
    assert ended.outputs == []
    assert run_files.output_files(ended) == {}
    assert datasets(project, ended) == ["customers"]


def test_a_reaped_run_without_a_recorded_directory_ends_as_before(project: Project) -> None:
    ended = reaped(project, started(project, None))
    assert (ended.output_dir, ended.outputs) == (None, None)
    assert datasets(project, ended) == []


def test_a_directory_that_cannot_be_looked_in_does_not_stop_the_reaping(
    project: Project, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lost run whose directory cannot be looked in (here a name too long for the system)
    is still ended; every other lost run after it too."""
    unreadable = started(project, tmp_path / ("x" * 300))
    with caplog.at_level(logging.WARNING):
        ended = reaped(project, unreadable)
    assert ended.outputs == []  # as recorded at its start: no file is listed
    assert f"cannot list what run {unreadable.id} left" in caplog.text


def test_a_reaped_run_keeps_its_last_heartbeat(project: Project) -> None:
    """The reaper set ``heartbeat_at`` to the moment it reaped: ``runs show`` then gave a
    heartbeat later than the one its own WorkerLost message names. A run ended by another
    process than its worker keeps its worker's last heartbeat."""
    run = started(project, None)
    ended = reaped(project, run)
    assert run.heartbeat_at is not None
    assert ended.heartbeat_at == run.heartbeat_at
    named = f"no heartbeat since {run.heartbeat_at.isoformat(timespec='seconds')}"
    assert named in (ended.error_message or "")
