"""The kinds of output file a run wrote, recorded when it ends (lists ask the storage nothing).

Revision ID: run_0002
Revises: run_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "run_0002"
down_revision = "run_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("outputs", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "outputs")
