"""``MetricsSettings.max_value_bytes`` holds for ``nbtools run`` as for a scheduler's runs,
and for a run ended by another process than its worker (killed, then ended lost)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools import processes
from nbtools.cli.app import cli
from nbtools.jobs.config import JobsSettings
from nbtools.jobs.submit import queue_run
from nbtools.metrics.series import run_metrics
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import (
    PROGRESS_SAVE_SECONDS,
    UNTIL_SAVED,
    wait_for,
    wait_until,
)
from tests.integration.jobs.test_lost_runs import NBTOOLS, reaped, worker_pid

pytestmark = pytest.mark.slow

RECORDING = """
import os
from nbtools import record
print("limit", os.environ.get("NBTOOLS_METRIC_MAX_BYTES"))
record("small", "a" * 100)
record("large", "b" * 20000)
"""


@pytest.mark.parametrize(
    ("limit", "stored"), [(50, []), (30000, ["large", "small"])], ids=["lowered", "raised"]
)
def test_nbtools_run_records_and_harvests_up_to_the_configured_limit(
    project: Project,
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    limit: int,
    stored: list[str],
) -> None:
    """Only the scheduler exported the limit: `nbtools run` kept the default 16 KiB, storing
    values over a lowered limit and refusing (losing) those under a raised one."""
    notebook_factory("s.ipynb", [("code", RECORDING, [])])
    config = tmp_path / "cfg.py"
    config.write_text(f"c.MetricsSettings.max_value_bytes = {limit}\n")
    args = ["--root", str(tmp_path), "--config", str(config), "run", "s.ipynb", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    with project.store.session() as session:
        metrics = run_metrics(session, run["id"])["metrics"]
    assert sorted(m["name"] for m in metrics) == stored
    executed = json.loads(Path(run["output_notebook"]).read_text())
    printed = "".join("".join(o.get("text", "")) for o in executed["cells"][0]["outputs"])
    assert f"limit {limit}" in printed


#: Records a value over the default limit (16 KiB) and under the raised one, waits for the
#: run's next save of its progress (every :data:`PROGRESS_SAVE_SECONDS`), notes that it
#: started its third cell and sleeps until killed.
RECORD_THEN_SLEEP = [
    ("code", "from nbtools import record\nrecord('large', 'b' * 20000)", []),
    ("code", UNTIL_SAVED, []),
    ("code", "import time\nopen('started', 'w').close()\ntime.sleep(300)", []),
]
RAISED = 30000


def stored_metrics(project: Project, run_id: int) -> list[str]:
    with project.store.session() as session:
        return sorted(m["name"] for m in run_metrics(session, run_id)["metrics"])


def test_a_run_whose_worker_is_killed_is_harvested_up_to_its_scheduler_limit(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A scheduler's worker killed (SIGKILL) mid-run: the executor ends the run lost and
    harvests the notebook it had saved. Before, that harvest took the default 16 KiB, not
    the scheduler's limit: the value the kernel had recorded under it was refused."""
    notebook_factory("s.ipynb", RECORD_THEN_SLEEP)
    settings = JobsSettings(workers=1, progress_save_seconds=PROGRESS_SAVE_SECONDS)
    scheduler = settings.create_scheduler(project, RAISED)
    executor = scheduler.executor
    assert executor is not None
    try:
        run = queue_run(project, "s.ipynb", {})
        assert scheduler.tick().submitted == [run.id]
        wait_until(lambda: (project.root / "started").exists(), "the second cell to start")
        running = wait_for(project, run.id, lambda r: r.status == "running")
        os.kill(worker_pid(running), signal.SIGKILL)
        ended = wait_for(project, run.id, lambda r: r.finished_at is not None)
    finally:
        executor.shutdown()
    assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
    assert stored_metrics(project, run.id) == ["large"]


def test_a_killed_cli_run_is_harvested_up_to_its_limit_by_whoever_ends_it(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """``nbtools run`` killed outright (SIGKILL) with a raised limit; the next reader (here
    a scheduler with the default settings) ends it lost once its lease expired, and harvests
    it with the limit the run was started with, not its own."""
    notebook_factory("s.ipynb", RECORD_THEN_SLEEP)
    config = tmp_path / "cfg.py"
    config.write_text(
        f"c.MetricsSettings.max_value_bytes = {RAISED}\n"
        f"c.JobsSettings.progress_save_seconds = {PROGRESS_SAVE_SECONDS}\n"
    )
    args = ["--root", str(tmp_path), "--config", str(config), "run", "s.ipynb"]
    process = subprocess.Popen(
        [NBTOOLS, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    project = Project(tmp_path)
    try:
        wait_until(lambda: (tmp_path / "started").exists(), "the second cell to start")
        running = wait_for(project, 1, lambda r: r.status == "running")
        process.kill()
        process.wait()
        ended = reaped(project, running)
        assert (ended.status, ended.error_name) == ("failed", "WorkerLost")
        assert stored_metrics(project, 1) == ["large"]
    finally:
        processes.kill_tree(process.pid)
        project.close()
