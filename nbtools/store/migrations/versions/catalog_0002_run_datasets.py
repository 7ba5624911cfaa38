"""The datasets each run read or wrote through ``nbtools.data``.

Revision ID: catalog_0002
Revises: catalog_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = "jobs_0001"


def upgrade() -> None:
    op.create_table(
        "run_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("classification", sa.String(16), nullable=False),
        sa.Column("location", sa.String(2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_datasets_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_datasets")),
        sa.UniqueConstraint("run_id", "dataset", "mode", name=op.f("uq_run_datasets_run_id")),
    )
    op.create_index(op.f("ix_run_datasets_run_id"), "run_datasets", ["run_id"])
    op.create_index(op.f("ix_run_datasets_dataset"), "run_datasets", ["dataset"])


def downgrade() -> None:
    op.drop_table("run_datasets")
