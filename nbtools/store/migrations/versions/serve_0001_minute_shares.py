"""Each worker's share of a served package's minute (``--record-to`` with several workers).

Revision ID: serve_0001
Revises: jobs_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "serve_0001"
down_revision = "jobs_0001"
branch_labels = ("serve",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_minute_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("share", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_service_minute_shares_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_minute_shares")),
        sa.UniqueConstraint("run_id", "worker", name=op.f("uq_service_minute_shares_run_id")),
    )
    op.create_index(op.f("ix_service_minute_shares_run_id"), "service_minute_shares", ["run_id"])


def downgrade() -> None:
    op.drop_table("service_minute_shares")
