"""Who created each job and run: the authenticated Jupyter user, or the CLI's OS user.

Revision ID: identity_0001
Revises: jobs_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = "jobs_0001"
branch_labels = ("identity",)
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("created_by", sa.String(255), nullable=True))
    op.add_column("runs", sa.Column("created_by", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "created_by")
    op.drop_column("jobs", "created_by")
