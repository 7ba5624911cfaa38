"""On SQLite, what refers to a stored object is not indexed: ``nbtools version gc`` removes
versions and objects with foreign keys unenforced, and checks the keys referring to them once
before it commits (``PRAGMA foreign_key_check``), so it stays linear without the indexes
``versions_0002`` made for its row-by-row checks. They cost a store of 100 versions 29 of its
156 pages (docs/performance.md, "What the version store holds"); no query uses them.

PostgreSQL keeps them: its collection removes rows with the keys enforced, each removal's check
finding what refers to the row by these indexes. ``version_refs.version_id`` stays indexed on
both: the versions a page of history lists look their references up by it.

Revision ID: versions_0003
Revises: versions_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "versions_0003"
down_revision = "versions_0002"
branch_labels = None
depends_on = None

#: (table, column) of each index dropped on SQLite.
UNINDEXED = (("version_objects", "base"), ("versions", "manifest"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, column in UNINDEXED:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, column in UNINDEXED:
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
