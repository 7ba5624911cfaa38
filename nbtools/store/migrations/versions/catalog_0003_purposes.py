"""The purpose of jobs and runs, checked against the datasets' allowed purposes.

Revision ID: catalog_0003
Revises: catalog_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0003"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("purpose", sa.String(64), nullable=True))
    op.add_column("runs", sa.Column("purpose", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("purpose")
