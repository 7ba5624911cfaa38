"""``nbtools scheduler --config``: the daemon applies monitoring settings and sends notifications."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.jobs.definitions import create_job
from nbtools.jobs.submit import queue_run
from nbtools.metrics.alerts import add_rule
from nbtools.metrics.notify.outbox import add_target
from nbtools.metrics.series import run_metrics
from nbtools.processes import kill_tree
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.jobs.conftest import wait_for
from tests.integration.metrics.conftest import WebhookReceiver

pytestmark = pytest.mark.slow


@pytest.fixture
def daemon(project: Project, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    config = tmp_path / "monitoring_config.py"
    config.write_text(
        "c.NotificationSettings.poll_seconds = 0.2\nc.MetricsSettings.max_value_bytes = 100\n"
    )
    project.store  # noqa: B018 - migrate before the daemon opens the store
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root)]
    process = subprocess.Popen(
        [*command, "scheduler", "--workers", "1", "--poll", "0.2", "--config", str(config)]
    )
    yield process
    kill_tree(process.pid)  # a worker or kernel that ends meanwhile is simply gone
    process.wait()


def test_a_run_of_the_daemon_alerts_the_webhook_and_keeps_the_size_limit(
    project: Project,
    notebook_factory: NotebookFactory,
    webhook: WebhookReceiver,
    daemon: subprocess.Popen[bytes],
) -> None:
    notebook_factory(
        "check.ipynb",
        [("code", "from nbtools import record\nrecord('note', 'x' * 200)\nrecord('rows', 0)", [])],
    )
    job = create_job(project, {"name": "check", "notebook_path": "check.ipynb"})
    with project.store.session(write=True) as session:
        add_rule(session, job.id, "rows < 1")
        add_target(session, job.id, "webhook", f"{webhook.url}/daemon", ["alert", "success"])
    run = queue_run(project, "check.ipynb", {}, job=job)
    assert wait_for(project, run.id, lambda r: r.finished_at is not None).status == "succeeded"

    deadline = time.monotonic() + 60
    while len(webhook.received) < 2:
        assert time.monotonic() < deadline, "the daemon's sender delivered nothing"
        time.sleep(0.05)
    assert sorted(payload["event"] for _, payload in webhook.received) == ["alert", "success"]
    with project.store.session() as session:
        metrics = run_metrics(session, run.id)["metrics"]
    assert [m["name"] for m in metrics] == ["rows"]  # 'note' was over the configured 100 bytes
