"""Erasure: the time a purge of a dataset's derived data deleted a run's outputs.

Revision ID: erasure_0001
Revises: retention_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nbtools.store.base import UtcDateTime

revision = "erasure_0001"
down_revision = "retention_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("purged_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "purged_at")
