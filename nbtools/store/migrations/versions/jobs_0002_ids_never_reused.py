"""On SQLite, a purged job's id is never given to a new job (``AUTOINCREMENT``). Runs need
no such rebuild: their rows are never deleted (a purged job's runs stay, without their job).

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from nbtools.store.migrations.unreused_ids import rebuild

revision = "jobs_0002"
down_revision = "jobs_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rebuild("jobs")


def downgrade() -> None:
    rebuild("jobs", autoincrement=False)
