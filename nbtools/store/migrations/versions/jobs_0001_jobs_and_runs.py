"""Jobs and their runs.

Revision ID: jobs_0001
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "jobs_0001"
down_revision = "0002"
branch_labels = ("jobs",)
depends_on = None


def _timestamp(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg,unused-ignore]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("notebook_path", sa.String(4096), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("cron", sa.String(200), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("retry_backoff_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("output_html", sa.Boolean(), nullable=False),
        sa.Column("missed_policy", sa.String(16), nullable=False),
        sa.Column("kernel_name", sa.String(200), nullable=True),
        _timestamp("next_run_at"),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        _timestamp("scheduled_for"),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("notebook_path", sa.String(4096), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("kernel_name", sa.String(200), nullable=True),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("output_html", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retry_of", sa.Integer(), nullable=True),
        _timestamp("not_before"),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(200), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("started_at"),
        _timestamp("finished_at"),
        _timestamp("heartbeat_at"),
        sa.Column("cells_total", sa.Integer(), nullable=True),
        sa.Column("cells_done", sa.Integer(), nullable=True),
        sa.Column("current_cell", sa.Integer(), nullable=True),
        sa.Column("notebook_sha256", sa.String(64), nullable=True),
        sa.Column("error_name", sa.String(200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_cell", sa.Integer(), nullable=True),
        sa.Column("output_dir", sa.String(4096), nullable=True),
        sa.Column("notebook_version_id", sa.Integer(), nullable=True),
        sa.Column("env_snapshot_id", sa.String(128), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("job_id", "scheduled_for", name=op.f("uq_runs_job_id")),
    )
    op.create_index(op.f("ix_runs_job_id"), "runs", ["job_id"])
    op.create_index(op.f("ix_runs_status"), "runs", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_status"), table_name="runs")
    op.drop_index(op.f("ix_runs_job_id"), table_name="runs")
    op.drop_table("runs")
    op.drop_table("jobs")
