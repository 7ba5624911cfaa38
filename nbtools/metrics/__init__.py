"""Monitoring: metrics recorded by notebooks, rules over them, alerts and notifications.

Kept light: ``nbtools.record`` imports only :mod:`nbtools.metrics.record` and
:mod:`nbtools.metrics.values`, which use the standard library alone; the functions below
import the store only when called.

The API the REST handlers and the CLI call (each function opens its own transaction and
returns wire models from :mod:`.views`, written as JSON by
:func:`nbtools.jsonvalues.json_default`)::

    from nbtools import metrics
    metrics.add_rule(project, job_id, "accuracy < 0.9")       # AlertRuleView
    metrics.list_alerts(project, job_id=3, status="open")      # [AlertView], newest first
    metrics.acknowledge_alerts(project, [7, 8], "ana")         # [AlertView]
    metrics.add_target(project, 3, "webhook", url, ["failure"])  # TargetView
    metrics.remove_target(project, 4)   # RemovedTargetView (with cancelled_deliveries)
    metrics.list_notifications(project, status="failed")       # [NotificationView]
    metrics.retry_notification(project, 12, "ana")             # NotificationView (audited)
    metrics.format_value(0.93, "ratio")                        # a value as people read it
    metrics.median([0.9, 0.855])                               # exact, never overflowing
    metrics.metric_series(project, 3, metric="acc", limit=50)  # up to MAX_PAGE_RUNS runs
    metrics.recorded_hint("acuracy", ["accuracy"])             # "did you mean accuracy?"

Monitoring follows runs through run events (:mod:`.events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nbtools.lazy import loader
from nbtools.metrics.values import format_value as format_value

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.metrics.config import MetricsSettings as MetricsSettings
    from nbtools.metrics.config import NotificationSettings as NotificationSettings
    from nbtools.metrics.rules import median as median
    from nbtools.metrics.series import recorded_hint as recorded_hint
    from nbtools.metrics.service import MonitoringService as MonitoringService
    from nbtools.metrics.views import (
        AlertRuleView,
        AlertView,
        NotificationView,
        RemovedTargetView,
        TargetView,
    )
    from nbtools.project import Project

#: Loaded on first use (kernels import this package for ``nbtools.record``): name → (module,
#: attribute).
_LAZY = {
    "MetricsSettings": ("config", "MetricsSettings"),
    "NotificationSettings": ("config", "NotificationSettings"),
    "MonitoringService": ("service", "MonitoringService"),
    "median": ("rules", "median"),
    "recorded_hint": ("series", "recorded_hint"),
}
__getattr__ = loader(__name__, _LAZY)

#: The most runs one page of a job's metric series holds (``--limit``, ``?limit=``).
MAX_PAGE_RUNS = 500
#: The runs a page of a job's metric series holds unless asked: the one default of
#: :func:`metric_series`, ``nbtools metrics series --limit`` and ``GET /jobs/<id>/metrics``.
DEFAULT_PAGE_RUNS = 50


def add_rule(project: Project, job_id: int, text: str, actor: str | None = None) -> AlertRuleView:
    """Parse ``text`` and store it as a rule of job ``job_id`` (its canonical text), with its
    ``warning`` if the job's recent runs say it may never fire and what it says of the job's
    latest finished run (``latest_run``); audited as ``rule.add`` by ``actor``."""
    from nbtools.metrics import alerts
    from nbtools.metrics.latest import latest_run_checks
    from nbtools.metrics.views import AlertRuleView

    with project.store.session(write=True) as session:
        rule = alerts.add_rule(session, job_id, text, actor)
        return AlertRuleView.of(
            rule,
            alerts.rule_warnings(session, [rule]).get(rule.id),
            latest_run_checks(session, [rule]).get(rule.id),
        )


def list_rules(project: Project, job_id: int | None = None) -> list[AlertRuleView]:
    """A job's rules (every job's without ``job_id``), each with its ``warning`` if the job's
    recent runs say it may never fire, and what it says of the job's latest finished run;
    NotFoundError for a job that does not exist."""
    from nbtools.metrics import alerts
    from nbtools.metrics.latest import latest_run_checks
    from nbtools.metrics.views import AlertRuleView

    with project.store.session() as session:
        _check_job(session, job_id)
        rules = alerts.list_rules(session, job_id)
        warnings = alerts.rule_warnings(session, rules)
        latest = latest_run_checks(session, rules)
        return [
            AlertRuleView.of(rule, warnings.get(rule.id), latest.get(rule.id)) for rule in rules
        ]


def remove_rule(project: Project, rule_id: int, actor: str | None = None) -> AlertRuleView:
    """Delete a rule; the alerts it raised stay (they keep the rule's text). Audited as
    ``rule.remove`` by ``actor``."""
    from nbtools.metrics import alerts
    from nbtools.metrics.views import AlertRuleView

    with project.store.session(write=True) as session:
        return AlertRuleView.of(alerts.remove_rule(session, rule_id, actor))


def list_alerts(
    project: Project,
    *,
    job_id: int | None = None,
    run_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[AlertView]:
    """Newest alerts first, optionally one job's, one run's or one status's."""
    from nbtools.metrics import alerts
    from nbtools.metrics.views import AlertView

    with project.store.session() as session:
        found = alerts.list_alerts(
            session, job_id=job_id, run_id=run_id, status=status, limit=limit
        )
        return [AlertView.of(alert) for alert in found]


def acknowledge_alerts(
    project: Project, alert_ids: Sequence[int], user: str | None
) -> list[AlertView]:
    """Mark alerts acknowledged by ``user`` (acknowledged ones are left as they are), each
    audited as ``alert.ack``."""
    from nbtools.metrics import alerts
    from nbtools.metrics.views import AlertView

    with project.store.session(write=True) as session:
        return [AlertView.of(alert) for alert in alerts.acknowledge(session, alert_ids, user)]


def open_alert_counts(project: Project) -> dict[int, int]:
    """Open alerts per job id (the jobs' badges)."""
    from nbtools.metrics import alerts

    with project.store.session() as session:
        return alerts.open_alert_counts(session)


def add_target(
    project: Project,
    job_id: int,
    channel: str,
    destination: str,
    events: Sequence[str],
    actor: str | None = None,
) -> TargetView:
    """Notify about job ``job_id``'s ``events`` through ``channel`` (webhook, email); audited
    as ``notify.add`` by ``actor``."""
    from nbtools.metrics.notify import outbox
    from nbtools.metrics.views import TargetView

    with project.store.session(write=True) as session:
        target = outbox.add_target(session, job_id, channel, destination, list(events), actor)
        return TargetView.of(target)


def list_targets(project: Project, job_id: int | None = None) -> list[TargetView]:
    """A job's notification targets (every job's without ``job_id``); NotFoundError for a
    job that does not exist."""
    from nbtools.metrics.notify import outbox
    from nbtools.metrics.views import TargetView

    with project.store.session() as session:
        _check_job(session, job_id)
        return [TargetView.of(target) for target in outbox.list_targets(session, job_id)]


def remove_target(project: Project, target_id: int, actor: str | None = None) -> RemovedTargetView:
    """Remove a target and cancel its deliveries not sent yet (``cancelled_deliveries`` says
    how many); audited as ``notify.remove`` by ``actor``."""
    from nbtools.metrics.notify import outbox
    from nbtools.metrics.views import RemovedTargetView

    with project.store.session(write=True) as session:
        return RemovedTargetView.removed(*outbox.remove_target(session, target_id, actor))


def list_notifications(
    project: Project, *, job_id: int | None = None, status: str | None = None, limit: int = 50
) -> list[NotificationView]:
    """The outbox, newest first: deliveries with their attempts and last error."""
    from nbtools.metrics.notify import outbox
    from nbtools.metrics.views import NotificationView

    with project.store.session() as session:
        found = outbox.list_notifications(session, job_id=job_id, status=status, limit=limit)
        return [NotificationView.of(notification) for notification in found]


def retry_notification(
    project: Project, notification_id: int, actor: str | None = None
) -> NotificationView:
    """Queue a failed or waiting notification to be sent at the sender's next chance, with
    fresh attempts (:class:`~nbtools.errors.ConflictError` for one delivered, being sent, or
    whose target was removed); audited as ``notify.retry`` by ``actor``."""
    from nbtools.metrics.notify import outbox
    from nbtools.metrics.views import NotificationView
    from nbtools.store.base import utcnow

    with project.store.session(write=True) as session:
        return NotificationView.of(outbox.retry_now(session, notification_id, utcnow(), actor))


def run_metrics(project: Project, run_id: int) -> dict[str, Any]:
    """A run's harvested metrics and the outputs its harvest could not read."""
    from nbtools.metrics import series

    with project.store.session() as session:
        return series.run_metrics(session, run_id)


def metric_series(
    project: Project,
    job_id: int,
    *,
    metric: str | None = None,
    before_run: int | None = None,
    limit: int = DEFAULT_PAGE_RUNS,
) -> dict[str, Any]:
    """Job ``job_id``'s metrics over a page of its runs (newest page, oldest run first);
    NotFoundError for a job that does not exist (an archived job's are there)."""
    from nbtools.metrics import series

    with project.store.session() as session:
        _check_job(session, job_id)
        return series.metric_series(
            session, job_id, metric=metric, before_run=before_run, limit=limit
        )


def _check_job(session: Session, job_id: int | None) -> None:
    """NotFoundError unless job ``job_id`` exists (archived or not), when one is named: a
    job's rules, targets or series are not an empty list when there is no such job."""
    if job_id is not None:
        from nbtools.jobs.definitions import get_job

        get_job(session, job_id)
