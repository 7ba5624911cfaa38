"""Run leases: which scheduler claimed a run, and until when its claim holds.

Runs running at the upgrade get a lease that ends at their last heartbeat, so the reaper
of the upgraded code ends them unless their worker renews it.

Revision ID: scale_0001
Revises: jobs_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "scale_0001"
down_revision = "jobs_0001"
branch_labels = ("scale",)
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("lease_owner", sa.String(200), nullable=True))
    op.add_column("runs", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE runs SET lease_expires_at = heartbeat_at WHERE status = 'running'")


def downgrade() -> None:
    op.drop_column("runs", "lease_expires_at")
    op.drop_column("runs", "lease_owner")
