"""A job's alert rules and the alerts they raised: add, list, remove, acknowledge."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nbtools import audit
from nbtools.errors import ConflictError, InvalidInputError, NotFoundError
from nbtools.ids import check_limit
from nbtools.jobs.definitions import get_job
from nbtools.jobs.submit import check_active
from nbtools.metrics.rule_parser import parse_rule
from nbtools.metrics.series import recorded_hint
from nbtools.metrics.tables import (
    ACKNOWLEDGED,
    ALERT_STATES,
    OPEN,
    Alert,
    AlertRule,
    MetricHarvest,
    MetricValue,
)
from nbtools.metrics.values import format_value
from nbtools.store.base import utcnow

#: How many of a job's latest harvested runs say which metrics it records (for warnings).
RECENT_RUNS = 20
#: The rule kinds that compare a metric's number.
_NUMERIC_KINDS = ("threshold", "change")


def add_rule(session: Session, job_id: int, text: str, actor: str | None = None) -> AlertRule:
    """Parse ``text`` and store it (canonically) as a rule of job ``job_id``, which must
    not be archived (ConflictError: it never runs again); audited as ``rule.add`` by
    ``actor`` in the same transaction."""
    rule = parse_rule(text)
    check_active(get_job(session, job_id))
    duplicate = session.scalar(
        select(AlertRule.id).where(AlertRule.job_id == job_id, AlertRule.text == rule.text)
    )
    if duplicate is not None:
        raise ConflictError(
            f"Job {job_id} already has the rule '{rule.text}' (rule {duplicate}).",
            rule_id=duplicate,
        )
    row = AlertRule(job_id=job_id, kind=rule.kind, metric=rule.metric, text=rule.text)
    session.add(row)
    session.flush()
    summary = {"job_id": job_id, "rule": rule.text}
    audit.record(session, actor, "rule.add", f"alert rule {row.id}", summary)
    return row


def list_rules(session: Session, job_id: int | None = None) -> list[AlertRule]:
    query = select(AlertRule).order_by(AlertRule.job_id, AlertRule.id)
    if job_id is not None:
        query = query.where(AlertRule.job_id == job_id)
    return list(session.scalars(query))


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError(
            f"Alert rule {rule_id} does not exist. List rules with `nbtools alerts rule list`.",
            rule_id=rule_id,
        )
    return rule


def remove_rule(session: Session, rule_id: int, actor: str | None = None) -> AlertRule:
    """Delete a rule; the alerts it raised stay (they keep the rule's text). Audited as
    ``rule.remove`` by ``actor`` in the same transaction."""
    rule = get_rule(session, rule_id)
    session.delete(rule)
    summary = {"job_id": rule.job_id, "rule": rule.text}
    audit.record(session, actor, "rule.remove", f"alert rule {rule_id}", summary)
    return rule


def list_alerts(
    session: Session,
    *,
    job_id: int | None = None,
    run_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Alert]:
    """Newest alerts first, optionally one job's, one run's or one status's; at most
    ``limit`` (1 to :data:`~nbtools.ids.MAX_LIST`, else InvalidInputError)."""
    if status is not None and status not in ALERT_STATES:
        raise InvalidInputError(
            f"Unknown alert status {status!r}; use one of {', '.join(ALERT_STATES)}.",
            field="status",
            status=status,
        )
    query = select(Alert).order_by(Alert.id.desc()).limit(check_limit(limit))
    if job_id is not None:
        query = query.where(Alert.job_id == job_id)
    if run_id is not None:
        query = query.where(Alert.run_id == run_id)
    if status is not None:
        query = query.where(Alert.status == status)
    return list(session.scalars(query))


def acknowledge(session: Session, alert_ids: Sequence[int], user: str | None) -> list[Alert]:
    """Mark alerts acknowledged (already acknowledged ones are left as they are); each one
    acknowledged now is audited as ``alert.ack`` by ``user`` in the same transaction."""
    alerts = []
    for alert_id in alert_ids:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFoundError(
                f"Alert {alert_id} does not exist. List alerts with `nbtools alerts list`.",
                alert_id=alert_id,
            )
        if alert.status == OPEN:
            alert.status = ACKNOWLEDGED
            alert.acknowledged_at = utcnow()
            alert.acknowledged_by = audit.stored_actor(user) if user else user
            summary = {"job_id": alert.job_id, "run_id": alert.run_id, "rule": alert.rule_text}
            audit.record(session, user, "alert.ack", f"alert {alert.id}", summary)
        alerts.append(alert)
    return alerts


def open_alert_counts(session: Session, job_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Open alerts per job (for the job badges)."""
    query = select(Alert.job_id, func.count()).where(Alert.status == OPEN).group_by(Alert.job_id)
    if job_ids is not None:
        query = query.where(Alert.job_id.in_(job_ids))
    return dict(session.execute(query).tuples().all())


def rule_warnings(session: Session, rules: Sequence[AlertRule]) -> dict[int, str]:
    """Why each of ``rules`` may never fire, by rule id, from what its job's latest runs
    recorded (:data:`RECENT_RUNS` of them): a metric none of them recorded (a typo, or a
    value not recorded yet, or no metric at all), or one that is never a number under a rule
    comparing numbers. Rules of a job with no finished run yet get none: nothing is known."""
    warnings: dict[int, str] = {}
    recorded: dict[int, dict[str, MetricValue] | None] = {}
    for rule in rules:
        if rule.metric is None:
            continue
        if rule.job_id not in recorded:
            recorded[rule.job_id] = _recent_metrics(session, rule.job_id)
        metrics = recorded[rule.job_id]
        if metrics is None:
            continue
        found = metrics.get(rule.metric)
        if found is None:
            warnings[rule.id] = _unknown_metric(rule.metric, sorted(metrics))
        elif rule.kind in _NUMERIC_KINDS and found.number is None:
            warnings[rule.id] = (
                f"{rule.metric} is not a number in the job's recent runs "
                f"({format_value(found.value)} in run {found.run_id}): this rule compares "
                "numbers, so it cannot fire: record the number to watch as a metric of its own."
            )
    return warnings


def _recent_metrics(session: Session, job_id: int) -> dict[str, MetricValue] | None:
    """The metrics of the job's latest harvested runs by name: a numeric value of each if it
    had one, else its latest; ``None`` if no run of the job was harvested yet."""
    runs = select(MetricHarvest.run_id).where(MetricHarvest.job_id == job_id)
    if session.scalar(runs.limit(1)) is None:
        return None
    recent = runs.order_by(MetricHarvest.run_id.desc()).limit(RECENT_RUNS).scalar_subquery()
    metrics: dict[str, MetricValue] = {}
    rows = select(MetricValue).where(MetricValue.run_id.in_(recent))
    for row in session.scalars(rows.order_by(MetricValue.run_id)):
        if row.number is not None or metrics.get(row.name, row).number is None:
            metrics[row.name] = row
    return metrics


def _unknown_metric(metric: str, names: list[str]) -> str:
    return f"None of the job's recent runs recorded {metric}: {recorded_hint(metric, names)}"
