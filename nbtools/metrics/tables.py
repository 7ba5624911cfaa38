"""Tables of the monitoring feature.

Rows reference jobs and runs with foreign keys (the ``metrics_0002`` migration depends on the
jobs branch): deleting a job deletes its rules, alerts, notification targets and outbox, and
its runs keep their metrics (without the job, as the runs do).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

# The jobs and runs tables must be in the metadata for the ORM to resolve the keys to them.
import nbtools.jobs.tables  # noqa: F401
from nbtools.config import MAX_ACTOR
from nbtools.metrics.run_values import metric_values
from nbtools.store.base import Base, UtcDateTime, utcnow

#: Alert states.
OPEN, ACKNOWLEDGED = "open", "acknowledged"
ALERT_STATES = (OPEN, ACKNOWLEDGED)

#: Events a job notifies about, and the channels that carry them.
ON_FAILURE, ON_ALERT, ON_SUCCESS = "failure", "alert", "success"
EVENTS = (ON_FAILURE, ON_ALERT, ON_SUCCESS)
WEBHOOK, EMAIL = "webhook", "email"
CHANNELS = (WEBHOOK, EMAIL)

#: Outbox states: pending (due at ``next_attempt_at``), sending (claimed), and the final
#: three: delivered, failed (after the last attempt), cancelled (never to be sent: its target
#: was removed).
PENDING, SENDING, DELIVERED, GAVE_UP = "pending", "sending", "delivered", "failed"
CANCELLED = "cancelled"
DELIVERY_STATES = (PENDING, SENDING, DELIVERED, GAVE_UP, CANCELLED)
#: The longest destination (a webhook URL, e-mail addresses) a target or a delivery holds.
MAX_DESTINATION = 2048


class MetricValue(Base):
    """One metric of one run, mapped onto the Core table
    :data:`nbtools.metrics.run_values.metric_values` (where its columns are declared)."""

    __table__ = metric_values

    id: Mapped[int]
    run_id: Mapped[int]
    job_id: Mapped[int | None]
    name: Mapped[str]
    kind: Mapped[str]
    value: Mapped[Any]
    number: Mapped[float | None]
    unit: Mapped[str | None]
    source: Mapped[str]
    cell_index: Mapped[int | None]
    recorded_at: Mapped[datetime]


class MetricHarvest(Base):
    """That a run's notebook was harvested, and the outputs that could not be read."""

    __tablename__ = "metric_harvests"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    harvested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AlertRule(Base):
    """A rule of a job, kept as its canonical text (parsed again when evaluated)."""

    __tablename__ = "alert_rules"
    __table_args__ = {
        "sqlite_autoincrement": True
    }  # a deleted rule's id is never reused (metrics_0006)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    #: The last evaluation that could not be done (e.g. a non-numeric value), shown on the job.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL")
    )


class Alert(Base):
    """A rule that fired, on a job and (except for ``late``) a run, until acknowledged."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("rule_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"))
    rule_text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    observed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: One alert per rule and occasion (a run, or a missed interval), even if evaluated twice.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(MAX_ACTOR))


class NotificationTarget(Base):
    """Where a job's notifications go (a webhook URL or e-mail addresses) and on which events."""

    __tablename__ = "notification_targets"
    __table_args__ = {
        "sqlite_autoincrement": True
    }  # a deleted target's id is never reused (metrics_0006)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(MAX_DESTINATION))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Notification(Base):
    """The outbox: one delivery to one target, retried with backoff until sent or given up."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("target_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_targets.id", ondelete="SET NULL")
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    #: Indexed: a job's purge deletes its alerts, each then looked for here (metrics_0005).
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(MAX_DESTINATION))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


def add_once(session: Session, row: Base) -> bool:
    """Insert ``row`` unless its unique key is taken (another evaluation got there first)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
