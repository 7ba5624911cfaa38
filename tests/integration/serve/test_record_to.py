"""``--record-to``: live traffic as a job's metric series, under the job's alert rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import select

from nbtools.jobs.tables import Job, Run
from nbtools.metrics.alerts import add_rule
from nbtools.metrics.tables import Alert, MetricValue
from nbtools.project import Project
from nbtools.serve.tables import ServiceMinuteShare
from tests.integration.serve.conftest import RunningService

Serve = Callable[..., RunningService]


def test_traffic_is_recorded_and_a_threshold_rule_alerts(
    scorer_package: Path, serve: Serve, project: Project
) -> None:
    project.store.revision()  # the store exists (made, migrated) before the service opens it
    service = serve(scorer_package, "--record-to", project.db_url)
    assert service.process.poll() is None, service.stop()
    with project.store.session(write=True) as session:
        job = session.scalars(select(Job).where(Job.name == "service:scorer")).one()
        rule = add_rule(session, job.id, "error_rate > 0.2")
        job_id, rule_id = job.id, rule.id
    with service.client() as client:
        assert client.post("/predict", json={"x": 1}).status_code == 200
        assert client.post("/predict", json={"x": 2}).status_code == 200
        assert client.post("/predict", json={"x": -1}).status_code == 500
        assert client.post("/predict", json={"x": "bad"}).status_code == 422
        assert client.get("/metrics").status_code == 200  # not a call of a served function
    service.stop()  # the minute in progress is written at shutdown
    assert service.process.returncode == 0
    with project.store.session() as session:
        runs = list(session.scalars(select(Run).where(Run.job_id == job_id)))
        values = {
            row.name: row.value
            for row in session.scalars(select(MetricValue).where(MetricValue.job_id == job_id))
        }
        alerts = list(session.scalars(select(Alert).where(Alert.rule_id == rule_id)))
    # the four calls may straddle a minute boundary: then there are two runs
    assert {run.trigger for run in runs} == {"service"}
    assert {run.status for run in runs} == {"succeeded"}
    assert runs[0].notebook_sha256 is None  # a service executes no notebook file
    if len(runs) == 1:
        assert values["requests"] == 4
        assert values["errors"] == 1
        assert values["error_rate"] == 0.25
        assert values["mean.score"] == 3.0
        assert 0 < values["latency_p50"] <= values["latency_p95"]
        assert len(alerts) == 1
        assert "error_rate" in alerts[0].message
    else:
        assert len(runs) == 2


def test_two_workers_record_one_series(
    scorer_package: Path, serve: Serve, project: Project
) -> None:
    project.store.revision()
    service = serve(scorer_package, "--workers", "2", "--record-to", project.db_url)
    assert service.process.poll() is None, service.stop()
    calls = 30
    for x in range(calls):  # a new connection each: the workers share them out
        assert httpx.post(f"{service.url}/predict", json={"x": x}, timeout=60).status_code == 200
    service.stop()  # each worker writes its minute in progress at shutdown
    assert service.process.returncode == 0
    with project.store.session() as session:
        job = session.scalars(select(Job).where(Job.name == "service:scorer")).one()
        runs = list(session.scalars(select(Run).where(Run.job_id == job.id)))
        requests = session.scalars(
            select(MetricValue.number).where(
                MetricValue.job_id == job.id, MetricValue.name == "requests"
            )
        ).all()
        workers = session.scalars(select(ServiceMinuteShare.worker).distinct()).all()
    assert len(runs) in (1, 2)  # one per minute: two only if the calls straddled a minute
    assert sum(n or 0 for n in requests) == calls
    assert 1 <= len(workers) <= 2
