"""A job's runs are found newest first by one index of ``(job_id, id)``.

The jobs dashboard, polled every 5 s, reads each job's latest run and its latest ended runs.
It read every run of the store (grouped by job) and ranked all runs of the page's jobs: for
a job with 90,000 runs about 0.12 s a poll on SQLite. It now reads each job's runs from its
newest one backwards and stops (:mod:`nbtools.jobs.overview`), which needs an index that
holds a job's runs in id order. SQLite's index on ``job_id`` held that already (an index
ends with the rowid); PostgreSQL's did not, and sorted every run of the job. The index on
``(job_id, id)`` replaces the one on ``job_id``: it also finds a job's runs (the foreign key's
``ON DELETE SET NULL``).

Revision ID: dashboard_0001
Revises: jobs_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "dashboard_0001"
down_revision = "jobs_0001"
branch_labels = ("dashboard",)
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_job_id_id", "runs", ["job_id", "id"])
    op.drop_index(op.f("ix_runs_job_id"), table_name="runs")


def downgrade() -> None:
    op.create_index(op.f("ix_runs_job_id"), "runs", ["job_id"])
    op.drop_index("ix_runs_job_id_id", table_name="runs")
