"""After a run and on scheduler ticks: evaluate a job's rules, raise alerts, queue notifications.

Everything happens in the caller's transaction and only writes rows: notifications are
delivered later by the background sender.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nbtools.metrics.errors import RuleSyntaxError
from nbtools.metrics.notify.outbox import enqueue
from nbtools.metrics.notify.payload import JobRef, build_payload
from nbtools.metrics.rule_parser import parse_rule
from nbtools.metrics.rules import (
    FAILED_STATES,
    SUCCEEDED,
    Finding,
    Late,
    Outcome,
    Rule,
    RuleFailure,
    RunFacts,
    evaluate_late,
    evaluate_run,
)
from nbtools.metrics.tables import (
    ON_ALERT,
    ON_FAILURE,
    ON_SUCCESS,
    OPEN,
    Alert,
    AlertRule,
    MetricValue,
    Notification,
    add_once,
)


@dataclass
class MonitorResult:
    """What one evaluation produced."""

    alerts: list[Alert] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    rule_errors: dict[int, str] = field(default_factory=dict)


def load_facts(
    session: Session, runs: Sequence[tuple[int, str, Mapping[str, Any]]]
) -> list[RunFacts]:
    """Facts for ``(run id, status, parameters)`` triples, with their stored metrics, in order."""
    ids = [run_id for run_id, _status, _parameters in runs]
    metrics: dict[int, dict[str, Any]] = {run_id: {} for run_id in ids}
    for row in session.scalars(select(MetricValue).where(MetricValue.run_id.in_(ids))):
        metrics[row.run_id][row.name] = row.value
    return [
        RunFacts(run_id, status, metrics[run_id], parameters) for run_id, status, parameters in runs
    ]


def after_run(
    session: Session,
    *,
    job: JobRef,
    run: RunFacts,
    previous: Sequence[RunFacts],
    now: datetime,
) -> MonitorResult:
    """Evaluate the job's per-run rules for a finished ``run`` and queue its notifications.

    ``previous`` are the job's earlier finished runs, newest first (enough for the largest
    window). A rule that cannot be evaluated records its error and the others still run.
    """
    result = MonitorResult()
    for rule_row in _enabled_rules(session, job.id):
        rule = _parsed(rule_row)
        if isinstance(rule, RuleFailure):
            outcome: Outcome = rule
        else:
            outcome = None if isinstance(rule, Late) else evaluate_run(rule, run, previous)
        _apply(session, rule_row, outcome, run.run_id, now, result)
    events: list[tuple[str, Alert | None]] = [(ON_ALERT, alert) for alert in result.alerts]
    if run.status in FAILED_STATES:
        events.append((ON_FAILURE, None))
    elif run.status == SUCCEEDED:
        events.append((ON_SUCCESS, None))
    for event, alert in events:
        _notify(session, result, job, event, run, alert, now)
    return result


def check_late(
    session: Session,
    *,
    job: JobRef,
    last_success_at: datetime | None,
    since: datetime,
    now: datetime,
    expected_interval: timedelta | None,
) -> MonitorResult:
    """Evaluate the job's ``late`` rules (on a scheduler tick); one alert per missed stretch."""
    result = MonitorResult()
    for rule_row in _enabled_rules(session, job.id):
        rule = _parsed(rule_row) if rule_row.kind == Late.kind else None
        if isinstance(rule, RuleFailure):
            _apply(session, rule_row, rule, None, now, result)
        elif isinstance(rule, Late):
            outcome = evaluate_late(
                rule,
                last_success_at=last_success_at,
                since=since,
                now=now,
                expected_interval=expected_interval,
            )
            _apply(session, rule_row, outcome, None, now, result)
    for alert in result.alerts:
        _notify(session, result, job, ON_ALERT, None, alert, now)
    return result


def _parsed(rule_row: AlertRule) -> Rule | RuleFailure:
    """The stored rule, or why it no longer parses (stored by an earlier version that accepted
    it: ``late 999999999999d``); that rule's error is recorded, the job's others still run."""
    try:
        return parse_rule(rule_row.text)
    except RuleSyntaxError as error:
        return RuleFailure(error.message)


def _notify(
    session: Session,
    result: MonitorResult,
    job: JobRef,
    event: str,
    run: RunFacts | None,
    alert: Alert | None,
    now: datetime,
) -> None:
    result.notifications += enqueue(
        session,
        job_id=job.id,
        event=event,
        payload=build_payload(event, job, run, alert),
        now=now,
        run_id=run.run_id if run is not None else None,
        alert_id=alert.id if alert is not None else None,
    )


def _enabled_rules(session: Session, job_id: int) -> list[AlertRule]:
    query = select(AlertRule).where(AlertRule.job_id == job_id, AlertRule.enabled.is_(True))
    return list(session.scalars(query.order_by(AlertRule.id)))


def _apply(
    session: Session,
    rule_row: AlertRule,
    outcome: Outcome,
    run_id: int | None,
    now: datetime,
    result: MonitorResult,
) -> None:
    """Record a rule's outcome: its error, or a new alert (once per occasion)."""
    if isinstance(outcome, RuleFailure):
        rule_row.last_error = outcome.message
        rule_row.last_error_at = now
        rule_row.last_error_run_id = run_id
        result.rule_errors[rule_row.id] = outcome.message
        return
    rule_row.last_error = rule_row.last_error_at = rule_row.last_error_run_id = None
    if isinstance(outcome, Finding):
        alert = _raise_alert(session, rule_row, outcome, now)
        if alert is not None:
            result.alerts.append(alert)


def _raise_alert(
    session: Session, rule_row: AlertRule, finding: Finding, now: datetime
) -> Alert | None:
    alert = Alert(
        job_id=rule_row.job_id,
        run_id=finding.run_id,
        rule_id=rule_row.id,
        rule_text=rule_row.text,
        kind=rule_row.kind,
        metric=rule_row.metric,
        message=finding.message,
        observed=finding.observed,
        dedupe_key=finding.dedupe_key,
        status=OPEN,
        created_at=now,
    )
    return alert if add_once(session, alert) else None
