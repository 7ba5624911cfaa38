"""From a real kernel to a delivered webhook: three runs, the third drops, one alert is sent."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nbtools.metrics.alerts import add_rule, list_alerts
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import add_target
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.pipeline import FinishedRun, process_finished_run
from nbtools.metrics.series import metric_series, run_metrics
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.integration.metrics.conftest import WebhookReceiver

pytestmark = pytest.mark.slow

JOB = JobRef(1, "nightly-train")


def test_three_runs_the_third_drops_and_the_webhook_gets_the_alert(
    project: Project, tmp_path: Path, webhook: WebhookReceiver
) -> None:
    import papermill

    source = tmp_path / "train.ipynb"
    source.write_text(
        json.dumps(
            make_notebook(
                [
                    ("code", "accuracy = 0.0", ["parameters"]),
                    ("code", "from nbtools import record\nrecord('accuracy', accuracy)", []),
                ]
            )
        )
    )
    with project.store.session(write=True) as session:
        add_rule(session, JOB.id, "accuracy drops > 5%")
        add_rule(session, JOB.id, "missing accuracy")
        add_target(session, JOB.id, "webhook", f"{webhook.url}/hook", ["alert"])

    finished: list[tuple[int, str, dict[str, float]]] = []
    for run_id, accuracy in ((1, 0.95), (2, 0.94), (3, 0.80)):
        output = tmp_path / f"run-{run_id}.ipynb"
        parameters = {"accuracy": accuracy}
        papermill.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name="python3",
            progress_bar=False, cwd=str(tmp_path),
        )  # fmt: skip
        with project.store.session(write=True) as session:
            result = process_finished_run(
                session, job=JOB, run=FinishedRun(run_id, "succeeded", parameters, output),
                previous=finished[::-1], now=datetime.now(timezone.utc), max_value_bytes=1024,
            )  # fmt: skip
        finished.append((run_id, "succeeded", parameters))
        assert len(result.alerts) == (1 if run_id == 3 else 0)

    with project.store.session() as session:
        page = metric_series(session, JOB.id, metric="accuracy")
        assert [point["value"] for point in page["series"]["accuracy"]] == [0.95, 0.94, 0.8]
        (alert,) = list_alerts(session, job_id=JOB.id)
        assert alert.run_id == 3

    sender = NotificationSender(project.store, NotificationSettings(timeout_seconds=5))
    assert sender.deliver_due() == 1
    ((path, payload),) = webhook.received
    assert path == "/hook"
    assert payload["event"] == "alert"
    assert payload["run"]["parameters"] == {"accuracy": 0.8}
    assert payload["alert"]["rule"] == "accuracy drops > 5% over 5"
    assert payload["alert"]["values"]["baseline"] == pytest.approx(0.945)


def test_an_unreadable_or_missing_output_notebook_is_a_harvest_problem(
    project: Project, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    now = datetime.now(timezone.utc)
    with project.store.session(write=True) as session:
        add_rule(session, JOB.id, "missing accuracy")
        for run_id, output in ((1, broken), (2, None)):
            result = process_finished_run(
                session, job=JOB, run=FinishedRun(run_id, "failed", {}, output),
                previous=[], now=now, max_value_bytes=1024,
            )  # fmt: skip
            assert result.alerts == []  # "missing" concerns successful runs only
    with project.store.session() as session:
        assert "could not be read" in run_metrics(session, 1)["problems"][0]
        assert run_metrics(session, 2)["problems"] == [
            "The run wrote no output notebook: no metrics to read."
        ]
