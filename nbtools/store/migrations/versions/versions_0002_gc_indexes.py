"""The columns that refer to a version or a stored object are indexed, so that removing old
versions (``nbtools version gc``) finds what still refers to each row by an index.

With foreign keys enforced, the database checks, for every version and object removed, that
nothing refers to it: without these indexes each check read the whole of ``version_refs``,
``versions`` or ``version_objects``, and a collection of 2000 versions (≈ 42,000 objects)
took ≈ 170 s instead of ≈ 1.5 s, holding the store's write lock.

Revision ID: versions_0002
Revises: versions_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "versions_0002"
down_revision = "versions_0001"
branch_labels = None
depends_on = None

#: (table, column) of each index.
INDEXED = (("version_objects", "base"), ("versions", "manifest"), ("version_refs", "version_id"))


def upgrade() -> None:
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
