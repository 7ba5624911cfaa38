"""On SQLite, a deleted alert rule's or notification target's id is never given to a new
one (``AUTOINCREMENT``).

Revision ID: metrics_0006
Revises: metrics_0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from nbtools.store.migrations.unreused_ids import rebuild

revision = "metrics_0006"
down_revision = "metrics_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rebuild("alert_rules", "notification_targets")


def downgrade() -> None:
    rebuild("alert_rules", "notification_targets", autoincrement=False)
