"""Whether a scheduler serves the store: each real ``nbtools scheduler`` lists itself while it
runs, is gone once stopped, and counts as not alive once a kill left it unseen; commands that
leave work for a scheduler say when none serves the store (``nbtools.jobs.presence``)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from nbtools.cli.app import cli
from nbtools.jobs.presence import (
    FORGET_AFTER,
    MIN_WINDOW_SECONDS,
    SEEN_EVERY_SECONDS,
    Presence,
    alive_window,
    schedulers,
)
from nbtools.jobs.scheduler import Scheduler, TickReport
from nbtools.jobs.tables import schedulers_table
from nbtools.project import Project
from nbtools.store import utcnow
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow

NOTE = "Note: no scheduler serves this store"


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), *args])


def status(root: Path) -> Any:
    result = nbtools(root, "status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["schedulers"]


def start_daemon(root: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(root), "scheduler"]
    return subprocess.Popen(
        [*command, "--workers", "1", "--poll", "0.2"], stderr=subprocess.DEVNULL
    )


def listed(root: Path, pid: int) -> list[dict[str, Any]]:
    """The schedulers of the store that process ``pid`` runs, once it listed itself."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = [seen for seen in status(root) if seen["pid"] == pid]
        if mine:
            return mine
        time.sleep(0.1)
    raise AssertionError(f"process {pid} never listed itself")


def test_a_daemon_is_listed_while_it_runs_and_gone_once_stopped(project: Project) -> None:
    project.store  # noqa: B018 - migrated before the daemon opens it
    assert status(project.root) == []
    assert "none running" in nbtools(project.root, "status").output
    daemon = start_daemon(project.root)
    try:
        (seen,) = listed(project.root, daemon.pid)
        assert (seen["alive"], seen["executor"]) == (True, "local")
        text = nbtools(project.root, "status").output
        assert f":{daemon.pid} (local executor), seen" in text
        assert "none running" not in text
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    assert status(project.root) == []  # a clean stop removes it


def test_a_killed_daemon_stays_listed_until_it_is_unseen_then_is_not_alive(
    project: Project,
) -> None:
    project.store  # noqa: B018
    daemon = start_daemon(project.root)
    try:
        listed(project.root, daemon.pid)
    finally:
        daemon.kill()  # SIGKILL: nothing of it runs any more, its row stays
        daemon.wait()
    (row,) = schedulers(project.store, utcnow())
    assert row.pid == daemon.pid
    window = alive_window(0.2)
    assert window == timedelta(seconds=MIN_WINDOW_SECONDS)
    assert schedulers(project.store, row.seen_at + window)[0].alive
    (late,) = schedulers(project.store, row.seen_at + window + timedelta(seconds=1))
    assert not late.alive
    # the next scheduler to start lists itself first and forgets rows unseen for a week
    newcomer = Presence(project.store, "dask", 60.0)
    newcomer.start(row.seen_at + window + timedelta(seconds=1))
    seen = schedulers(project.store, row.seen_at + window + timedelta(seconds=2))
    assert [(s.executor, s.alive) for s in seen] == [("dask", True), ("local", False)]
    assert alive_window(60.0) == timedelta(seconds=3 * 60 + SEEN_EVERY_SECONDS)
    Presence(project.store, "local", 1.0).start(row.seen_at + FORGET_AFTER + timedelta(seconds=1))
    assert daemon.pid not in [s.pid for s in schedulers(project.store, utcnow())]


def test_being_seen_is_written_at_most_every_ten_seconds_and_lists_it_again_if_removed(
    project: Project,
) -> None:
    presence = Presence(project.store, "local", 1.0)
    start = utcnow()
    presence.start(start)
    presence.seen(start + timedelta(seconds=SEEN_EVERY_SECONDS - 1))  # too soon: not written
    assert schedulers(project.store, start)[0].seen_at == start
    later = start + timedelta(seconds=SEEN_EVERY_SECONDS)
    presence.seen(later)
    assert schedulers(project.store, later)[0].seen_at == later
    with project.store.connection(write=True) as connection:
        connection.execute(schedulers_table.delete())
    again = later + timedelta(seconds=SEEN_EVERY_SECONDS)
    presence.seen(again)
    (row,) = schedulers(project.store, again)
    assert (row.seen_at, row.alive) == (again, True)
    presence.stop()
    assert schedulers(project.store, again) == []


def test_queueing_without_a_scheduler_says_the_work_waits_and_with_one_says_nothing(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    added = nbtools(project.root, "schedule", "add", "nb.ipynb", "--cron", "@daily", "--name", "d")
    assert added.exit_code == 0
    assert f"{NOTE}, so job 1 does not run on its schedule until one starts" in added.stderr
    on_demand = nbtools(project.root, "schedule", "add", "nb.ipynb", "--name", "manual")
    assert NOTE not in on_demand.stderr  # no schedule: nothing waits
    queued = nbtools(project.root, "schedule", "run", "d", "--json")
    assert queued.exit_code == 0
    assert json.loads(queued.stdout)["status"] == "queued"  # stdout stays JSON
    assert f"{NOTE}, so run 1 waits in the queue until one starts" in queued.stderr
    assert "`nbtools scheduler`" in queued.stderr
    rerun = nbtools(project.root, "runs", "rerun", "1")
    assert f"{NOTE}, so run 2 waits in the queue" in rerun.stderr
    assert NOTE not in nbtools(project.root, "schedule", "pause", "d").stderr
    scheduled = nbtools(project.root, "schedule", "edit", "manual", "--cron", "@hourly")
    assert f"{NOTE}, so job 2 does not run on its schedule until one starts" in scheduled.stderr
    assert NOTE not in nbtools(project.root, "schedule", "edit", "manual", "-p", "n=2").stderr

    presence = Presence(project.store, "local", 1.0)  # a scheduler of this process
    presence.start(utcnow())
    try:
        for args in (("schedule", "resume", "d"), ("schedule", "run", "d"), ("runs", "rerun", "1")):
            result = nbtools(project.root, *args)
            assert result.exit_code == 0, result.output
            assert NOTE not in result.stderr
    finally:
        presence.stop()
    with project.store.connection() as connection:
        assert connection.execute(select(schedulers_table)).all() == []


class CountingTicks(Scheduler):
    """A scheduler that counts its ticks."""

    ticks = 0

    def tick(self) -> TickReport:
        report = super().tick()
        self.ticks += 1
        return report


def test_a_presence_write_that_fails_is_logged_and_fails_no_tick(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    """The store refuses the scheduler's row (its table is gone): the loop says so and goes
    on ticking at its pace, with no failed tick and no backoff."""
    with project.store.connection(write=True) as connection:
        connection.execute(text("DROP TABLE schedulers"))
    scheduler = CountingTicks(project, poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,))
    caplog.set_level(logging.WARNING, logger="nbtools")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while scheduler.ticks < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        scheduler.wake()
        thread.join(timeout=30)
    assert scheduler.ticks >= 5  # 0.05 s apart: no backoff slowed the loop
    assert "cannot mark this scheduler seen in the store" in caplog.text
    assert "tick failed" not in caplog.text
    # tried once per SEEN_EVERY_SECONDS at most, not at every tick
    assert caplog.text.count("cannot mark this scheduler seen") == 1
