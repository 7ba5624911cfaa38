"""Archived jobs: deleting a job keeps it (hidden) with its runs, metrics and alerts.

Revision ID: sched_0003
Revises: sched_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sched_0003"
down_revision = "sched_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("archived_at")
