"""Idempotency keys of submitted jobs and runs, unique: a duplicate submission is refused.

Revision ID: sched_0002
Revises: sched_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sched_0002"
down_revision = "sched_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("jobs", "runs"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("idempotency_key", sa.String(200), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_idempotency_key", ["idempotency_key"])


def downgrade() -> None:
    for table in ("runs", "jobs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_idempotency_key", type_="unique")
            batch.drop_column("idempotency_key")
