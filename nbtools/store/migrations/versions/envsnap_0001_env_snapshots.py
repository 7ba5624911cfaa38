"""Environment snapshots.

Revision ID: envsnap_0001
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "envsnap_0001"
down_revision = "0002"
branch_labels = ("envsnap",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "env_snapshots",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(1024), nullable=False),
        sa.Column("python_version", sa.String(64), nullable=True),
        sa.Column("distribution_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_env_snapshots")),
    )
    op.create_index(
        op.f("ix_env_snapshots_captured_at"), "env_snapshots", ["captured_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_env_snapshots_captured_at"), table_name="env_snapshots")
    op.drop_table("env_snapshots")
