"""Metric values are stored as JSON text on SQLite: a column typed JSON has NUMERIC affinity
there, which stored a top-level number's text as a number (``1.0`` read back as ``1``,
``2**63`` as a float). The column is rebuilt as TEXT, each value kept as the JSON text of
what it reads as now (digits already lost are not recovered); PostgreSQL's JSON column kept
the text as written and is left as it is.

Revision ID: metrics_0004
Revises: metrics_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "metrics_0004"
down_revision = "metrics_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # read before the rebuild: TEXT affinity would print a REAL with 15 digits only
    values = sa.table("metric_values", sa.column("id", sa.Integer()), sa.column("value"))
    numbers = bind.execute(
        sa.select(values.c.id, values.c.value).where(sa.func.typeof(values.c.value) != "text")
    ).all()
    with op.batch_alter_table("metric_values") as batch:
        batch.alter_column("value", type_=sa.Text(), existing_type=sa.JSON(), nullable=True)
    for row_id, number in numbers:
        text = None if number is None else json.dumps(number)
        op.execute(values.update().where(values.c.id == row_id).values(value=text))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("metric_values") as batch:
        batch.alter_column("value", type_=sa.JSON(), existing_type=sa.Text(), nullable=True)
