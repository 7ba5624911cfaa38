"""From a job's real runs to a delivered webhook: three runs, the third drops, one alert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.submit import queue_run
from nbtools.kernels import KernelSource
from nbtools.metrics.alerts import add_rule, list_alerts, list_rules
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import add_target
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.series import metric_series, run_metrics
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.integration.metrics.conftest import WebhookReceiver

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernels() -> Iterator[KernelSource]:
    source = KernelSource(prestart=False)
    yield source
    source.close()


def run_job(project: Project, kernels: KernelSource, job_id: int, **values: object) -> int:
    from nbtools.jobs.definitions import get_job

    with project.store.session() as session:
        job = get_job(session, job_id)
    run = queue_run(project, job.notebook_path, dict(values), job=job)
    assert execute_run(project, RunRequest.for_project(project, run.id), kernels) is not None
    return run.id


def test_three_runs_the_third_drops_and_the_webhook_gets_the_alert(
    project: Project,
    notebook_factory: NotebookFactory,
    kernels: KernelSource,
    webhook: WebhookReceiver,
) -> None:
    notebook_factory(
        "train.ipynb",
        [
            ("code", "accuracy = 0.0", ["parameters"]),
            ("code", "from nbtools import record\nrecord('accuracy', accuracy)", []),
        ],
    )
    job = create_job(project, {"name": "nightly", "notebook_path": "train.ipynb"})
    with project.store.session(write=True) as session:
        add_rule(session, job.id, "accuracy drops > 5%")
        add_rule(session, job.id, "missing accuracy")
        add_target(session, job.id, "webhook", f"{webhook.url}/hook", ["alert"])

    run_ids = [run_job(project, kernels, job.id, accuracy=value) for value in (0.95, 0.94, 0.8)]

    with project.store.session() as session:
        page = metric_series(session, job.id, metric="accuracy")
        assert page["run_ids"] == run_ids
        assert [point["value"] for point in page["series"]["accuracy"]] == [0.95, 0.94, 0.8]
        (alert,) = list_alerts(session, job_id=job.id)
        assert (alert.run_id, alert.rule_text) == (run_ids[2], "accuracy drops > 5% over 5")
        assert run_metrics(session, run_ids[2])["metrics"][0]["value"] == 0.8

        history = metric_series(session, job.id)
        assert [run["status"] for run in history["runs"]] == ["succeeded"] * 3
        assert history["runs"][2]["parameters"] == {"accuracy": 0.8}
        assert history["runs"][2]["duration_seconds"] > 0
        assert history["runs"][2]["notebook_sha256"]
    shown = CliRunner().invoke(
        cli, ["--root", str(project.root), "runs", "show", str(run_ids[2]), "--json"]
    )
    assert json.loads(shown.stdout)["metrics"] == {"accuracy": 0.8}

    sender = NotificationSender(project.store, NotificationSettings(timeout_seconds=5))
    assert sender.deliver_due() == 1
    ((path, payload),) = webhook.received
    assert path == "/hook"
    assert payload["event"] == "alert"
    assert payload["job"] == {"id": job.id, "name": "nightly"}
    assert payload["run"]["parameters"] == {"accuracy": 0.8}
    assert payload["alert"]["values"]["baseline"] == pytest.approx(0.945)


def test_a_failed_run_is_harvested_and_retries_alert_only_on_the_last_attempt(
    project: Project, notebook_factory: NotebookFactory, kernels: KernelSource
) -> None:
    notebook_factory(
        "flaky.ipynb",
        [("code", "from nbtools import record\nrecord('rows', 3)\nraise ValueError('bad')", [])],
    )
    job = create_job(
        project,
        {"name": "flaky", "notebook_path": "flaky.ipynb", "retries": 1, "retry_backoff_seconds": 1},
    )
    with project.store.session(write=True) as session:
        add_rule(session, job.id, "failed")
        add_rule(session, job.id, "rows < 10")
    first = run_job(project, kernels, job.id)
    with project.store.session() as session:
        assert list_alerts(session, job_id=job.id) == []  # a retry is queued: not final yet
        assert run_metrics(session, first)["metrics"][0]["value"] == 3
    retry = first + 1
    assert execute_run(project, RunRequest.for_project(project, retry), kernels) == "failed"
    with project.store.session() as session:
        alerts = list_alerts(session, job_id=job.id)
        assert sorted(a.rule_text for a in alerts) == ["failed", "rows < 10"]
        assert {a.run_id for a in alerts} == {retry}
        assert all(rule.last_error is None for rule in list_rules(session, job.id))
        history = metric_series(session, job.id)
        assert [(run["id"], run["status"]) for run in history["runs"]] == [
            (first, "failed"),
            (retry, "failed"),
        ]


def test_late_jobs_alert_once_per_missed_stretch(project: Project) -> None:
    from nbtools.jobs.scheduler import Scheduler
    from nbtools.store.base import utcnow

    (project.root / "daily.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
    )
    job = create_job(
        project, {"name": "daily", "notebook_path": "daily.ipynb", "cron": "0 2 * * *"}
    )
    with project.store.session(write=True) as session:
        add_rule(session, job.id, "late")
    now = utcnow() + timedelta(days=3)
    scheduler = Scheduler(project, None, clock=lambda: now)
    assert len(scheduler.check_late(now)) == 1
    assert scheduler.check_late(now + timedelta(seconds=1)) == []  # not due for a check
    assert scheduler.check_late(now + timedelta(minutes=2)) == []  # the same missed stretch
    with project.store.session() as session:
        (alert,) = list_alerts(session, job_id=job.id)
        assert alert.message == "No successful run yet: more than 1d 2h 24m (rule: late)."
