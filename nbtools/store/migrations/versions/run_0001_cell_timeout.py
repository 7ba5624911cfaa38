"""Per-cell execution timeout of jobs and runs (papermill's ``execution_timeout``).

Revision ID: run_0001
Revises: jobs_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "run_0001"
down_revision = "jobs_0001"
branch_labels = ("run",)
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("cell_timeout_seconds", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("cell_timeout_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "cell_timeout_seconds")
    op.drop_column("jobs", "cell_timeout_seconds")
