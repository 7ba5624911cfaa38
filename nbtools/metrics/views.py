"""The wire models of monitoring: what the REST API and ``nbtools alerts … --json`` return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nbtools.digest import sha256_hex
from nbtools.jsonvalues import WireModel
from nbtools.metrics.notify.destinations import destination_problem, listed_destination
from nbtools.urls import password_hidden

if TYPE_CHECKING:
    from nbtools.metrics.tables import Alert, AlertRule, Notification, NotificationTarget


@dataclass(frozen=True)
class LatestRunCheck(WireModel):
    """What a rule says of its job's latest finished run (:mod:`nbtools.metrics.latest`)."""

    run_id: int
    #: ``fires`` (it would raise an alert there), ``quiet``, or ``error`` (it cannot be
    #: evaluated there: a metric that is not a number, a percent change from 0).
    result: str
    #: The alert's message when it fires, the reason when it cannot be evaluated.
    message: str | None
    #: The alert the rule raised when that run ended (a rule older than the run), if any.
    alert_id: int | None = None


@dataclass(frozen=True)
class AlertRuleView(WireModel):
    id: int
    job_id: int
    kind: str
    metric: str | None
    text: str
    enabled: bool
    created_at: datetime
    #: Why the rule could not be evaluated last time, if it could not.
    last_error: str | None
    last_error_at: datetime | None
    last_error_run_id: int | None
    #: Why the rule may never fire, from what the job's recent runs recorded
    #: (:func:`nbtools.metrics.alerts.rule_warnings`), if it may not.
    warning: str | None = None
    #: What the rule says of the job's latest finished run (none yet, or a ``late`` rule: null).
    latest_run: LatestRunCheck | None = None

    @classmethod
    def of(
        cls, rule: AlertRule, warning: str | None = None, latest_run: LatestRunCheck | None = None
    ) -> AlertRuleView:
        return cls(
            rule.id,
            rule.job_id,
            rule.kind,
            rule.metric,
            rule.text,
            rule.enabled,
            rule.created_at,
            rule.last_error,
            rule.last_error_at,
            rule.last_error_run_id,
            warning,
            latest_run,
        )


@dataclass(frozen=True)
class AlertView(WireModel):
    id: int
    job_id: int | None
    run_id: int | None
    rule_id: int | None
    #: The rule's text when it fired (the alert outlives the rule).
    rule: str
    kind: str
    metric: str | None
    message: str
    observed: Any
    status: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        return cls(
            alert.id,
            alert.job_id,
            alert.run_id,
            alert.rule_id,
            alert.rule_text,
            alert.kind,
            alert.metric,
            alert.message,
            alert.observed,
            alert.status,
            alert.created_at,
            alert.acknowledged_at,
            alert.acknowledged_by,
        )


def shown_destination(destination: str) -> str:
    """``destination`` as a refusal of it may show it: a webhook URL's password (``https://user:
    PASSWORD@host/``) becomes ``***``, as it would otherwise be in the error and the logs."""
    return password_hidden(destination)


def destination_fingerprint(destination: str) -> str:
    """The first 8 hexadecimal digits of the SHA-256 of a stored destination (UTF-8): tells two
    targets at one site apart, and lets whoever holds the URL find its target, without the
    listing showing the URL."""
    return sha256_hex(destination.encode())[:8]


@dataclass(frozen=True)
class TargetView(WireModel):
    id: int
    job_id: int
    channel: str
    #: :func:`listed_destination`: a webhook's site only.
    destination: str
    #: :func:`destination_fingerprint` of the whole destination.
    fingerprint: str
    events: list[str]
    enabled: bool
    created_at: datetime
    #: Why no delivery to the target is ever made (:func:`destination_problem`: stored by an
    #: older nbtools, its destination fails today's check), or None.
    problem: str | None

    @classmethod
    def of(cls, target: NotificationTarget) -> TargetView:
        return cls(
            target.id,
            target.job_id,
            target.channel,
            listed_destination(target.channel, target.destination),
            destination_fingerprint(target.destination),
            list(target.events),
            target.enabled,
            target.created_at,
            destination_problem(target.channel, target.destination),
        )


@dataclass(frozen=True)
class RemovedTargetView(TargetView):
    """A target just removed, and how many of its deliveries not sent yet were cancelled."""

    cancelled_deliveries: int

    @classmethod
    def removed(cls, target: NotificationTarget, cancelled: int) -> RemovedTargetView:
        return cls(**vars(TargetView.of(target)), cancelled_deliveries=cancelled)


@dataclass(frozen=True)
class NotificationView(WireModel):
    id: int
    job_id: int | None
    run_id: int | None
    alert_id: int | None
    target_id: int | None
    event: str
    channel: str
    #: :func:`listed_destination`: a webhook's site only (``target_id`` tells which target).
    destination: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    summary: str | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationView:
        return cls(
            notification.id,
            notification.job_id,
            notification.run_id,
            notification.alert_id,
            notification.target_id,
            notification.event,
            notification.channel,
            listed_destination(notification.channel, notification.destination),
            notification.status,
            notification.attempts,
            notification.next_attempt_at,
            notification.last_error,
            notification.created_at,
            notification.delivered_at,
            notification.payload.get("summary"),
        )
