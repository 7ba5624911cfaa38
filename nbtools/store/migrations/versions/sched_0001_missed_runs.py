"""Missed due times: the catch-up policy's limit, and ``skipped`` runs recording dropped ones.

Revision ID: sched_0001
Revises: jobs_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sched_0001"
down_revision = "jobs_0001"
branch_labels = ("sched",)
depends_on = None


def upgrade() -> None:
    op.add_column(
        "jobs", sa.Column("catch_up_limit", sa.Integer(), nullable=False, server_default="10")
    )
    op.add_column("runs", sa.Column("skipped_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("runs", sa.Column("skipped_count", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("skip_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("skip_reason")
        batch.drop_column("skipped_count")
        batch.drop_column("skipped_until")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("catch_up_limit")
