"""The OpenLineage run events owed to the catalog: a run's terminal event is sent by whichever
process has the settings, not only by the one that ends the run.

Revision ID: openlineage_0001
Revises: jobs_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "openlineage_0001"
down_revision = "jobs_0001"
branch_labels = ("openlineage",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openlineage_owed_events",
        sa.Column("run_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("run_uuid", sa.String(36), nullable=False),
        sa.Column("namespace", sa.String(1024), nullable=False),
        sa.Column("root", sa.String(4096), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_openlineage_owed_events_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_openlineage_owed_events")),
    )


def downgrade() -> None:
    op.drop_table("openlineage_owed_events")
