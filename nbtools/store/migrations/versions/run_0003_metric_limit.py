"""The largest metric value a run keeps, recorded when it starts, so that whichever process
ends it (its worker, the reaper, an executor that saw the worker die) harvests it alike.

Runs started before keep the default limit (the column is empty).

Revision ID: run_0003
Revises: run_0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "run_0003"
down_revision = "run_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("metric_max_bytes", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "metric_max_bytes")
