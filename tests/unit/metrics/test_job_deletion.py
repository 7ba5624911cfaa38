"""Deleting a job deletes its monitoring rows (foreign keys), and the migration that added the
keys cleans up what deleted jobs left behind — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nbtools.cli.app import cli
from nbtools.jobs.tables import Job, Run
from nbtools.metrics.alerts import add_rule
from nbtools.metrics.monitor import after_run, load_facts
from nbtools.metrics.notify.outbox import add_target
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.tables import (
    Alert,
    AlertRule,
    MetricHarvest,
    MetricValue,
    Notification,
    NotificationTarget,
)
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import Store, create_store_engine
from tests.unit.metrics.conftest import add_run, store_metrics

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
JOB_TABLES = (AlertRule, Alert, NotificationTarget, Notification)


def monitor_job(project: Project, job: JobRef, runs: list[int]) -> None:
    """A job as monitoring leaves it: a rule, a webhook, metrics per run, the last run failed
    (an alert and its notification)."""
    for run_id in runs:
        store_metrics(project, job.id, run_id, accuracy=0.9)
    with project.store.session(write=True) as session:
        add_rule(session, job.id, "failed")
        add_target(session, job.id, "webhook", "http://127.0.0.1:9/hook", ["alert"])
        (facts,) = load_facts(session, [(runs[-1], "failed", {})])
        result = after_run(session, job=job, run=facts, previous=[], now=NOW)
    assert (len(result.alerts), len(result.notifications)) == (1, 1)


def rows_per_job(session: Session) -> dict[str, dict[int | None, int]]:
    counts = {}
    for model in (*JOB_TABLES, MetricValue, MetricHarvest):
        query = select(model.job_id, func.count()).group_by(model.job_id)  # type: ignore[attr-defined]
        counts[model.__table__.name] = dict(session.execute(query).tuples().all())
    return counts


def test_removing_a_job_deletes_its_rules_alerts_and_notifications(
    any_project: Project, store_url: str, tmp_path: Path
) -> None:
    monitor_job(any_project, JobRef(1, "train"), [10, 11])
    monitor_job(any_project, JobRef(2, "report"), [20])

    root = ["--root", str(tmp_path), "--db-url", store_url]
    archived = CliRunner().invoke(cli, [*root, "schedule", "remove", "job-1", "--yes"])
    assert (archived.exit_code, archived.output) == (0, "Job 1 archived.\n")
    with any_project.store.session() as session:  # archived: everything stays readable
        assert rows_per_job(session)["alert_rules"] == {1: 1, 2: 1}
        assert rows_per_job(session)["alerts"] == {1: 1, 2: 1}
    removed = CliRunner().invoke(cli, [*root, "schedule", "remove", "1", "--yes", "--purge"])
    assert (removed.exit_code, removed.output) == (0, "Job 1 purged.\n")

    with any_project.store.session() as session:
        assert rows_per_job(session) == {
            "alert_rules": {2: 1},
            "alerts": {2: 1},
            "notification_targets": {2: 1},
            "notifications": {2: 1},
            "metric_values": {None: 2, 2: 1},  # the runs stay, with their metrics
            "metric_harvests": {None: 2, 2: 1},
        }
        assert session.execute(select(Run.id, Run.job_id).order_by(Run.id)).tuples().all() == [
            (10, None),
            (11, None),
            (20, 2),
        ]


def test_monitoring_rows_must_name_an_existing_job_and_run(any_project: Project) -> None:
    add_run(any_project, 1, 10)
    for row in (
        AlertRule(job_id=5, kind="failed", text="failed"),
        MetricValue(run_id=99, job_id=1, name="x", kind="number", value=1, source="nbtools"),
        MetricHarvest(run_id=10, job_id=5),
    ):
        with pytest.raises(IntegrityError), any_project.store.session(write=True) as session:
            session.add(row)


def test_the_migration_removes_what_deleted_jobs_left_behind(db_url: str) -> None:
    from alembic import command

    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "metrics_0001")  # before the keys
    with Session(engine) as session, session.begin():
        session.add_all(
            [
                Job(id=1, name="kept", notebook_path="a.ipynb"),
                Run(id=10, job_id=1, trigger="schedule", notebook_path="a.ipynb"),
                Run(id=11, trigger="manual", notebook_path="a.ipynb"),
            ]
        )
        session.flush()
        session.add_all(
            [
                AlertRule(id=1, job_id=1, kind="failed", text="failed", last_error_run_id=98),
                AlertRule(id=2, job_id=7, kind="failed", text="failed"),
                NotificationTarget(id=1, job_id=1, channel="webhook", destination="http://h/"),
                NotificationTarget(id=2, job_id=7, channel="webhook", destination="http://h/"),
            ]
        )
        session.flush()
        alert = {"kind": "failed", "rule_text": "failed", "message": "m", "dedupe_key": "k"}
        session.add_all(
            [
                Alert(id=1, job_id=1, run_id=10, rule_id=1, **alert),
                Alert(id=2, job_id=1, run_id=98, rule_id=None, **alert),
                Alert(id=3, job_id=7, run_id=None, rule_id=2, **alert),
            ]
        )
        session.flush()
        note = {"event": "alert", "channel": "webhook", "destination": "http://h/", "payload": {}}
        session.add_all(
            [
                Notification(id=1, target_id=1, job_id=1, run_id=10, alert_id=1, **note,
                             dedupe_key="a", status="pending"),
                Notification(id=2, target_id=1, job_id=1, run_id=98, alert_id=3, **note,
                             dedupe_key="b", status="delivered"),
                Notification(id=3, target_id=2, job_id=7, alert_id=3, **note, dedupe_key="c",
                             status="pending"),
            ]
        )  # fmt: skip
        metric = {"name": "x", "kind": "number", "value": 1, "source": "nbtools"}
        session.add_all(
            [
                MetricValue(run_id=10, job_id=1, **metric),
                MetricValue(run_id=11, job_id=7, **metric),
                MetricValue(run_id=98, job_id=1, **metric),
                MetricHarvest(run_id=10, job_id=1),
                MetricHarvest(run_id=11, job_id=7),
                MetricHarvest(run_id=98, job_id=1),
            ]
        )
    engine.dispose()

    store = Store.open(db_url)
    try:
        with store.session() as session:
            assert [(r.id, r.last_error_run_id) for r in session.scalars(select(AlertRule))] == [
                (1, None)
            ]
            assert [t.id for t in session.scalars(select(NotificationTarget))] == [1]
            alerts = session.scalars(select(Alert).order_by(Alert.id))
            assert [(a.id, a.run_id, a.rule_id) for a in alerts] == [(1, 10, 1), (2, None, None)]
            notes = session.scalars(select(Notification).order_by(Notification.id))
            assert [(n.id, n.target_id, n.run_id, n.alert_id) for n in notes] == [
                (1, 1, 10, 1),
                (2, 1, None, None),
            ]
            for model in (MetricValue, MetricHarvest):
                kept = session.execute(select(model.run_id, model.job_id).order_by(model.run_id))
                assert kept.tuples().all() == [(10, 1), (11, None)]
        with store.session(write=True) as session:
            session.delete(session.get_one(Job, 1))
        with store.session() as session:
            assert [session.scalar(select(func.count()).select_from(m)) for m in JOB_TABLES] == [
                0,
                0,
                0,
                0,
            ]
            assert session.scalar(select(func.count()).select_from(MetricValue)) == 2
    finally:
        store.close()


def test_an_archived_job_takes_no_new_rules_or_targets(tmp_path: Path) -> None:
    """An archived job never runs again, and "can no longer be edited": adding a rule or a
    notification target to it exited 0, and they could never act. Its own stay readable
    and can be removed."""
    project = Project(tmp_path)
    monitor_job(project, JobRef(1, "train"), [10])
    with project.store.session() as session:
        rule_id = session.scalars(select(AlertRule.id)).one()
        target_id = session.scalars(select(NotificationTarget.id)).one()
    project.close()
    root = ["--root", str(tmp_path)]
    assert CliRunner().invoke(cli, [*root, "schedule", "remove", "job-1", "--yes"]).exit_code == 0
    for args in (
        ["alerts", "rule", "add", "job-1", "missing rows"],
        ["alerts", "notify", "add", "1", "--webhook", "http://127.0.0.1:9/other", "--on", "alert"],
        ["alerts", "notify", "add", "1", "--email", "ops@example.org", "--on", "failure"],
    ):
        refused = CliRunner().invoke(cli, [*root, *args])
        assert refused.exit_code == 2, refused.output
        assert "Job 1 was deleted (archived" in refused.output
        assert "cannot be edited or run" in refused.output
        assert "Traceback" not in refused.output
    listed = CliRunner().invoke(cli, [*root, "alerts", "rule", "list", "--job", "1"])
    assert "failed" in listed.output
    for args in (["alerts", "rule", "remove", str(rule_id)],
                 ["alerts", "notify", "remove", str(target_id)]):  # fmt: skip
        assert CliRunner().invoke(cli, [*root, *args]).exit_code == 0
    project = Project(tmp_path)
    with project.store.session() as session:
        assert session.scalars(select(AlertRule)).all() == []
        assert session.scalars(select(NotificationTarget)).all() == []
    project.close()
