"""Schedulers: each scheduler serving the store has a row, seen as it ticks, so that the
status report and the CLI can tell whether queued runs and due jobs will be picked up.

Revision ID: sched_0004
Revises: sched_0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sched_0004"
down_revision = "sched_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedulers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("executor", sa.String(50), nullable=False),
        sa.Column("poll_seconds", sa.Float, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_schedulers_seen_at", "schedulers", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_schedulers_seen_at", "schedulers")
    op.drop_table("schedulers")
