"""Who acknowledged an alert is kept as long as any actor (255 characters, as in the audit
trail and ``created_by``): at 200, acknowledging as a longer name failed on PostgreSQL.

Revision ID: metrics_0003
Revises: metrics_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "metrics_0003"
down_revision = "metrics_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column(
            "acknowledged_by", type_=sa.String(255), existing_type=sa.String(200), nullable=True
        )


def downgrade() -> None:
    """Longer names are cut to the 200 characters the column held before."""
    alerts = sa.table("alerts", sa.column("acknowledged_by", sa.String()))
    op.execute(
        alerts.update()
        .where(sa.func.length(alerts.c.acknowledged_by) > 200)
        .values(acknowledged_by=sa.func.substr(alerts.c.acknowledged_by, 1, 200))
    )
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column(
            "acknowledged_by", type_=sa.String(200), existing_type=sa.String(255), nullable=True
        )
