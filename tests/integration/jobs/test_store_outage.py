"""A run whose end cannot be recorded: the store (a throw-away PostgreSQL) stops mid-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import WAITS_FOR_GO, wait_until
from tests.postgres import PostgresServer, find_bindir

pytestmark = pytest.mark.slow

NBTOOLS = str(Path(sys.executable).parent / "nbtools")


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it stops and starts again."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found: run `make postgres`")
    started = PostgresServer(bindir)
    started.start()
    yield started
    started.stop()


def start_run(root: Path, url: str, lease: int | None = None) -> subprocess.Popen[bytes]:
    """``nbtools run`` on ``url``'s store (its run's lease ``lease`` seconds, else the
    default), once its notebook runs."""
    env = {**os.environ}
    if lease is not None:
        env["NBTOOLS_JOBS_STALE_AFTER_SECONDS"] = str(lease)
    with (root / "out.json").open("wb") as out, (root / "err.txt").open("wb") as err:
        process = subprocess.Popen(
            [NBTOOLS, "--root", str(root), "--db-url", url, "run", "nb.ipynb", "--json"],
            stdout=out,
            stderr=err,
            env=env,
        )
    wait_until(lambda: (root / "started").exists() or process.poll() is not None, "the run")
    assert process.poll() is None, (root / "err.txt").read_text()
    return process


def show(root: Path, url: str) -> dict[str, str]:
    result = CliRunner().invoke(
        cli, ["--root", str(root), "--db-url", url, "runs", "show", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    model: dict[str, str] = json.loads(result.stdout)
    return model


def test_a_store_back_within_the_lease_records_the_end(
    tmp_path: Path, notebook_factory: NotebookFactory, server: PostgresServer
) -> None:
    url = server.create_database("outage")
    notebook_factory("nb.ipynb", [("code", WAITS_FOR_GO, [])])
    process = start_run(tmp_path, url)
    server.shutdown()
    (tmp_path / "go").touch()
    err = tmp_path / "err.txt"
    wait_until(lambda: "cannot record the end of run 1" in err.read_text(), "a failed write")
    server.start()
    assert process.wait(timeout=120) == 0, err.read_text()
    assert json.loads((tmp_path / "out.json").read_text())["status"] == "succeeded"
    assert "Traceback" not in err.read_text()


def test_a_store_gone_longer_exits_with_one_line_and_the_run_is_ended_later(
    tmp_path: Path, notebook_factory: NotebookFactory, server: PostgresServer
) -> None:
    url = server.create_database("outage")
    notebook_factory("nb.ipynb", [("code", WAITS_FOR_GO, [])])
    # it retries its last write for a lease: 4 s, while the database stops in under 0.1 s and
    # the run ends well within a heartbeat (1 s) of it, so no failed heartbeat costs it its
    # claim first (5 runs under -n 2 on a loaded machine: never one)
    process = start_run(tmp_path, url, lease=4)
    server.shutdown()
    (tmp_path / "go").touch()
    assert process.wait(timeout=300) == 1
    stderr = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Run 1 ended succeeded, but the store could not record it (")
    assert last.endswith(
        "the run is ended as lost once its lease expires and the store is writable again."
    )
    server.start()
    model = show(tmp_path, url)  # a reader ends the run: its lease expired
    assert (model["status"], model["error"]["name"]) == ("failed", "WorkerLost")  # type: ignore[index]


def test_a_daemon_logs_a_store_outage_in_one_line_each(
    tmp_path: Path, server: PostgresServer
) -> None:
    """While PostgreSQL was down the daemon's log filled with tracebacks: the first failed
    tick's and the notification sender's, every poll. docs/operations.md promises one line
    each; the sender says it once and how many polls failed when it reads the outbox again."""
    url = server.create_database("outage")
    err = tmp_path / "err.txt"
    with err.open("wb") as stderr:
        daemon = subprocess.Popen(
            [NBTOOLS, "--root", str(tmp_path), "--db-url", url, "scheduler", "--poll", "0.1"],
            stderr=stderr,
            env={**os.environ, "NBTOOLS_NOTIFY_POLL_SECONDS": "0.1"},
        )
    try:
        wait_until(lambda: "nbtools scheduler:" in err.read_text(), "the daemon's start")
        server.shutdown()
        wait_until(lambda: "tick 3 failed" in err.read_text(), "three failed ticks")
        wait_until(lambda: "cannot read the outbox" in err.read_text(), "the sender's failure")
        server.start()
        wait_until(lambda: "recovered after" in err.read_text(), "the scheduler's recovery")
        wait_until(lambda: "read the outbox again" in err.read_text(), "the sender's recovery")
    finally:
        daemon.terminate()
        daemon.wait(60)
    log = err.read_text()
    assert "Traceback" not in log, log
    assert "nbtools: scheduler tick failed (" in log
    assert log.count("the notification sender cannot read the outbox (") == 1
    assert "read the outbox again after " in log
    for line in log.splitlines():  # each failure in one line: no SQL, no driver's hint
        assert not line.startswith(("\t", "(Background", "Is the server")), line


def test_a_daemon_whose_run_cannot_be_recorded_logs_it_in_one_line(
    tmp_path: Path, notebook_factory: NotebookFactory, server: PostgresServer
) -> None:
    """A local worker whose run's end could not be recorded died with a traceback
    (RunNotRecordedError), and the done callback that then tried to end the run logged
    another: each is one line now."""
    url = server.create_database("outage")
    notebook_factory("nb.ipynb", [("code", WAITS_FOR_GO, [])])
    err = tmp_path / "err.txt"
    env = {**os.environ, "NBTOOLS_JOBS_STALE_AFTER_SECONDS": "4"}
    args = [NBTOOLS, "--root", str(tmp_path), "--db-url", url]
    from nbtools.jobs.submit import queue_run
    from nbtools.project import Project

    project = Project(tmp_path, db_url=url)
    queue_run(project, "nb.ipynb", {})
    project.close()
    with err.open("wb") as stderr:
        daemon = subprocess.Popen([*args, "scheduler", "--poll", "0.2"], stderr=stderr, env=env)
    try:
        wait_until(lambda: (tmp_path / "started").exists(), "the run")
        server.shutdown()
        (tmp_path / "go").touch()
        wait_until(lambda: "could not record it" in err.read_text(), "the worker's exit")
        wait_until(lambda: "done callback failed" in err.read_text(), "the done callback")
    finally:
        daemon.terminate()
        daemon.wait(60)
    log = err.read_text()
    assert "Traceback" not in log, log
    assert "Run 1 ended succeeded, but the store could not record it (" in log
    assert "nbtools: run 1 done callback failed: OperationalError: " in log
