"""Rules evaluated against stored metrics: alerts, rule errors, notifications queued once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from nbtools.errors import InvalidInputError
from nbtools.metrics.alerts import (
    acknowledge,
    add_rule,
    list_alerts,
    list_rules,
    open_alert_counts,
    rule_warnings,
)
from nbtools.metrics.monitor import MonitorResult, after_run, check_late, load_facts
from nbtools.metrics.notify.outbox import add_target
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.tables import Notification
from nbtools.project import Project
from tests.unit.metrics.conftest import add_jobs, store_metrics

JOB = JobRef(1, "nightly-train")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def finish(project: Project, run_id: int, status: str, history: list[int]) -> MonitorResult:
    """Evaluate run ``run_id`` with earlier succeeded runs ``history`` (newest first)."""
    with project.store.session(write=True) as session:
        facts = load_facts(
            session, [(run_id, status, {"n": run_id})] + [(r, "succeeded", {}) for r in history]
        )
        return after_run(session, job=JOB, run=facts[0], previous=facts[1:], now=NOW)


def test_a_drop_raises_alerts_and_queues_notifications_once(any_project: Project) -> None:
    add_jobs(any_project, 1, 2)
    with any_project.store.session(write=True) as session:
        for text in ("accuracy < 0.9", "accuracy drops > 5% over 3", "missing rows", "failed"):
            add_rule(session, 1, text)
        add_rule(session, 2, "accuracy < 0.99")  # another job's rule
        add_target(session, 1, "webhook", "http://127.0.0.1:9/hook", ["alert", "failure"])
        add_target(session, 1, "email", "ops@example.org", ["success"])
    store_metrics(any_project, 1, 1, accuracy=0.95, rows=10)
    store_metrics(any_project, 1, 2, accuracy=0.94, rows=10)
    store_metrics(any_project, 1, 3, accuracy=0.80)

    assert finish(any_project, 1, "succeeded", []).alerts == []
    assert finish(any_project, 2, "succeeded", [1]).alerts == []
    result = finish(any_project, 3, "succeeded", [2, 1])

    assert sorted(alert.rule_text for alert in result.alerts) == [
        "accuracy < 0.9",
        "accuracy drops > 5% over 3",
        "missing rows",
    ]
    assert {(n.channel, n.event) for n in result.notifications} == {
        ("webhook", "alert"),
        ("email", "success"),
    }
    assert len(result.notifications) == 4
    alert_payload = next(n.payload for n in result.notifications if n.event == "alert")
    assert alert_payload["job"] == {"id": 1, "name": "nightly-train"}
    assert alert_payload["run"]["id"] == 3
    assert alert_payload["run"]["parameters"] == {"n": 3}
    assert alert_payload["run"]["metrics"] == {"accuracy": 0.8}

    again = finish(any_project, 3, "succeeded", [2, 1])  # evaluated twice: nothing new
    assert again.alerts == []
    assert {n.event for n in again.notifications} == set()
    with any_project.store.session() as session:
        assert len(session.scalars(select(Notification)).all()) == 6  # + success of runs 1, 2
        assert open_alert_counts(session) == {1: 3}


def test_a_failed_run_notifies_failure_and_fires_the_failed_rule(any_project: Project) -> None:
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        add_rule(session, 1, "failed")
        add_rule(session, 1, "missing accuracy")
        add_target(session, 1, "webhook", "http://127.0.0.1:9/hook", ["failure", "alert"])
    store_metrics(any_project, 1, 7)
    result = finish(any_project, 7, "timed_out", [])
    assert [alert.message for alert in result.alerts] == ["Run 7 timed out."]
    assert sorted(n.event for n in result.notifications) == ["alert", "failure"]


def test_a_non_numeric_value_records_a_rule_error_and_other_rules_still_run(
    any_project: Project,
) -> None:
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        broken = add_rule(session, 1, "accuracy < 0.9").id
        add_rule(session, 1, "rows < 100")
    store_metrics(any_project, 1, 1, accuracy="n/a", rows=5)
    result = finish(any_project, 1, "succeeded", [])
    assert [alert.rule_text for alert in result.alerts] == ["rows < 100"]
    assert 'accuracy is "n/a" in run 1, not a number' in result.rule_errors[broken]
    with any_project.store.session() as session:
        rule = next(rule for rule in list_rules(session, 1) if rule.id == broken)
        assert rule.last_error == result.rule_errors[broken]
        assert rule.last_error_run_id == 1

    store_metrics(any_project, 1, 2, accuracy=0.95, rows=500)
    finish(any_project, 2, "succeeded", [1])
    with any_project.store.session() as session:
        assert all(rule.last_error is None for rule in list_rules(session, 1))


def test_late_alerts_once_per_missed_stretch(any_project: Project) -> None:
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        add_rule(session, 1, "late")
        add_target(session, 1, "webhook", "http://127.0.0.1:9/hook", ["alert"])

    def tick(now: datetime, last_success: datetime) -> MonitorResult:
        with any_project.store.session(write=True) as session:
            return check_late(
                session, job=JOB, last_success_at=last_success, since=last_success, now=now,
                expected_interval=timedelta(days=1),
            )  # fmt: skip

    yesterday = NOW - timedelta(days=1, hours=1)
    first = tick(NOW, yesterday)
    assert len(first.alerts) == 1
    assert first.alerts[0].run_id is None
    assert len(first.notifications) == 1
    assert tick(NOW + timedelta(minutes=1), yesterday).alerts == []  # the next tick
    assert tick(NOW + timedelta(hours=1), NOW).alerts == []  # a success came
    assert len(tick(NOW + timedelta(days=2), NOW).alerts) == 1  # late again


def test_a_stored_rule_that_no_longer_parses_records_its_error_and_the_others_run(
    any_project: Project,
) -> None:
    """An earlier version accepted ``late 99999999999d`` (which overflowed every tick's late
    check of its job, the job's other late rules with it) and ``1e400`` (infinity)."""
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        late = add_rule(session, 1, "late 26h")
        threshold = add_rule(session, 1, "rows < 100")
        huge_late = add_rule(session, 1, "late 2d")
        huge_threshold = add_rule(session, 1, "rows >= 1")
        huge_late.text, huge_threshold.text = "late 99999999999d", "rows >= 1e400"
    store_metrics(any_project, 1, 1, rows=5)
    result = finish(any_project, 1, "succeeded", [])
    assert [alert.rule_text for alert in result.alerts] == ["rows < 100"]
    assert "1e400 is beyond the numbers" in result.rule_errors[huge_threshold.id]
    with any_project.store.session(write=True) as session:
        ticked = check_late(
            session, job=JOB, last_success_at=NOW - timedelta(days=2), since=NOW, now=NOW,
            expected_interval=None,
        )  # fmt: skip
    assert [alert.rule_id for alert in ticked.alerts] == [late.id]
    assert "at most 3650d" in ticked.rule_errors[huge_late.id]
    with any_project.store.session() as session:
        errors = {rule.id: rule.last_error for rule in list_rules(session, 1)}
    assert errors[threshold.id] is None
    assert "at most 3650d" in (errors[huge_late.id] or "")


def test_acknowledging_alerts(any_project: Project) -> None:
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        add_rule(session, 1, "failed")
    store_metrics(any_project, 1, 1)
    alert_id = finish(any_project, 1, "failed", []).alerts[0].id
    with any_project.store.session(write=True) as session:
        acknowledge(session, [alert_id], "ana")
    with any_project.store.session() as session:
        (alert,) = list_alerts(session, job_id=1)
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", "ana")
        assert list_alerts(session, status="open") == []
        assert open_alert_counts(session) == {}


def test_rule_warnings_come_from_the_latest_runs_on_both_stores(any_project: Project) -> None:
    """The 20 latest harvested runs (a subquery with ORDER BY and LIMIT inside IN) say what a
    job records; an older run's metric no longer counts."""
    add_jobs(any_project, 1)
    store_metrics(any_project, 1, 1, retired=1.0)
    for run_id in range(2, 23):
        store_metrics(any_project, 1, run_id, accuracy=0.9)
    with any_project.store.session(write=True) as session:
        rules = [add_rule(session, 1, text) for text in ("accuracy < 0.5", "retired > 2")]
        warnings = rule_warnings(session, rules)
    assert warnings == {
        rules[1].id: "None of the job's recent runs recorded retired: they recorded accuracy."
    }


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_list_refuses_a_limit_out_of_its_range_rather_than_shortening_it(
    project: Project, limit: int
) -> None:
    """`list_alerts(limit=0)` gave one alert, `limit=100000` a thousand, with no word of it:
    the lists of alerts, deliveries and runs refuse a limit beyond 1 to 1000, naming it."""
    from nbtools import jobs, metrics

    for listing in (metrics.list_alerts, metrics.list_notifications, jobs.list_runs):
        with pytest.raises(InvalidInputError) as refused:
            listing(project, limit=limit)
        assert refused.value.details == {"field": "limit"}
        assert refused.value.message == f"limit must be a whole number from 1 to 1000, got {limit}."
