"""A service minute's shares (``service_minute_shares``) are found by one index of their run.

The table's unique constraint, whose first column is ``run_id``, is the index every lookup of
a run's rows (and the ``ON DELETE CASCADE`` of a deleted run) uses: the single-column index
on ``run_id`` beside it only cost every insert a second index to write, and an empty store one
page more (docs/performance.md, "What the version store holds").

Revision ID: serve_0003
Revises: serve_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "serve_0003"
down_revision = "serve_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_service_minute_shares_run_id"), table_name="service_minute_shares")


def downgrade() -> None:
    op.create_index(op.f("ix_service_minute_shares_run_id"), "service_minute_shares", ["run_id"])
