"""Monitoring rows get foreign keys to their job and run: deleting a job deletes its rules,
alerts, notification targets and outbox; its runs keep their metrics, without the job.

Rows left behind by jobs deleted before (and references to runs that do not exist) are
removed, or their reference cleared where the row outlives it, before the keys are added.
On SQLite the tables are rebuilt (``batch_alter_table``), with foreign keys off meanwhile
(see ``migrations/env.py``).

Revision ID: metrics_0002
Revises: metrics_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "metrics_0002"
down_revision = "metrics_0001"
branch_labels = None
depends_on = "jobs_0001"

#: (table, column, referenced table, ON DELETE), in the order the rows are cleaned up:
#: alerts before the notifications that name them.
KEYS = (
    ("alert_rules", "job_id", "jobs", "CASCADE"),
    ("alert_rules", "last_error_run_id", "runs", "SET NULL"),
    ("alerts", "job_id", "jobs", "CASCADE"),
    ("alerts", "run_id", "runs", "SET NULL"),
    ("notification_targets", "job_id", "jobs", "CASCADE"),
    ("notifications", "job_id", "jobs", "CASCADE"),
    ("notifications", "run_id", "runs", "SET NULL"),
    ("notifications", "alert_id", "alerts", "SET NULL"),
    ("metric_values", "run_id", "runs", "CASCADE"),
    ("metric_values", "job_id", "jobs", "SET NULL"),
    ("metric_harvests", "run_id", "runs", "CASCADE"),
    ("metric_harvests", "job_id", "jobs", "SET NULL"),
)


def _keys_by_table() -> dict[str, list[tuple[str, str, str]]]:
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, referred, ondelete in KEYS:
        tables.setdefault(table, []).append((column, referred, ondelete))
    return tables


def _name(table: str, column: str, referred: str) -> str:
    return op.f(f"fk_{table}_{column}_{referred}")


def upgrade() -> None:
    for table, column, referred, ondelete in KEYS:
        rows = sa.table(table, sa.column(column))
        existing = sa.select(sa.table(referred, sa.column("id")).c.id)
        orphan = rows.c[column].is_not(None) & rows.c[column].not_in(existing)
        if ondelete == "CASCADE":
            op.execute(sa.delete(rows).where(orphan))
        else:
            op.execute(sa.update(rows).where(orphan).values({column: None}))
    for table, keys in _keys_by_table().items():
        with op.batch_alter_table(table) as batch:
            for column, referred, ondelete in keys:
                batch.create_foreign_key(
                    _name(table, column, referred), referred, [column], ["id"], ondelete=ondelete
                )


def downgrade() -> None:
    for table, keys in _keys_by_table().items():
        with op.batch_alter_table(table) as batch:
            for column, referred, _ondelete in keys:
                batch.drop_constraint(_name(table, column, referred), type_="foreignkey")
