"""Run retention: a job's ``keep_runs`` and the time a run's outputs were pruned.

Revision ID: retention_0001
Revises: catalog_0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nbtools.store.base import UtcDateTime

revision = "retention_0001"
down_revision = "catalog_0003"
branch_labels = ("retention",)
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("keep_runs", sa.String(16), nullable=True))
    op.add_column("runs", sa.Column("pruned_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "pruned_at")
    op.drop_column("jobs", "keep_runs")
