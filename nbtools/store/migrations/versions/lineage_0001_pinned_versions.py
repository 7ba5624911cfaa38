"""Lineage: jobs and runs pinned to a notebook version; runs that reproduce another.

Revision ID: lineage_0001
Revises: jobs_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lineage_0001"
down_revision = "jobs_0001"
branch_labels = ("lineage",)
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("pinned_version_id", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("pinned_version_id", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("reproduce_of", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("reproduce_of")
        batch.drop_column("pinned_version_id")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("pinned_version_id")
