"""A notification is found by its alert through an index (``ix_notifications_alert_id``).

``notifications.alert_id`` refers to ``alerts`` (``ON DELETE SET NULL``) without an index: a
job's purge deletes its alerts (``ON DELETE CASCADE``), and SQLite then looked for each
alert's notifications by reading the whole outbox, once per alert. A job with 2000 alerts,
beside 50,000 notifications, took 46 s to purge (the store locked for writes meanwhile);
0.3 s with the index.

Revision ID: metrics_0005
Revises: metrics_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "metrics_0005"
down_revision = "metrics_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_notifications_alert_id"), "notifications", ["alert_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_alert_id"), table_name="notifications")
