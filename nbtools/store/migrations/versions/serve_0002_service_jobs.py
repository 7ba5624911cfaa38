"""Service jobs: the job a served package's traffic is recorded under says so (``service``).

Such a job is never scheduled and runs no notebook: its runs are the service's minutes. An
earlier version told it only by its runs (trigger ``service``) and who made it (``nbtools
serve``), and let it be scheduled like a notebook job: the schedule such a job was given is
removed (its notebook runs mixed into the service's series and kept its ``late`` rules quiet).

The service's minutes carried its package's hash of the notebook's cells as their
``notebook_sha256``, which is a run's sha256 of the notebook file it executed (so the same
notebook version seemed to differ): it is cleared (they name their notebook version).

Revision ID: serve_0002
Revises: serve_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "serve_0002"
down_revision = "serve_0001"
branch_labels = None
depends_on = None

jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer()),
    sa.column("service", sa.Boolean()),
    sa.column("created_by", sa.String()),
    sa.column("cron", sa.String()),
    sa.column("next_run_at", sa.DateTime(timezone=True)),
)
runs = sa.table(
    "runs",
    sa.column("job_id", sa.Integer()),
    sa.column("trigger", sa.String()),
    sa.column("notebook_sha256", sa.String()),
)


def upgrade() -> None:
    op.add_column(
        "jobs", sa.Column("service", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    made: list[sa.ColumnElement[bool]] = [
        jobs.c.id.in_(sa.select(runs.c.job_id).where(runs.c.trigger == "service"))
    ]
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("jobs")}
    if "created_by" in columns:  # else (migration identity_0001 comes later) none has one
        made.append(jobs.c.created_by == "nbtools serve")
    op.execute(jobs.update().where(sa.or_(*made)).values(service=True, cron=None, next_run_at=None))
    op.execute(runs.update().where(runs.c.trigger == "service").values(notebook_sha256=None))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("service")
