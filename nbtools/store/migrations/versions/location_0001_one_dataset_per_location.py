"""One dataset per location, held by the database: a unique index on the datasets' locations,
so that two writers catalogue at most one dataset at a location however they interleave (two
``data add`` at once on PostgreSQL both passed the catalog's check, which cannot see the
other's uncommitted row).

A store may already hold datasets sharing a location, from before the catalog refused them.
The upgrade never fails for them and never changes them: each is marked ``shares_location``,
which the index leaves out (a partial index), and the migration logs a warning naming them.
They keep working, and can be edited; moving one (or removing the others) ends its exemption,
as the catalog writes every dataset it places at a location unmarked once checked.

The index is on the location on SQLite; on PostgreSQL on its MD5 (PostgreSQL's own advice for
long values: a B-tree entry holds at most 2704 bytes, less than a 2048-character location in
UTF-8). Both are made here only, not by the ``datasets`` table (as ``dataset_search``).

Revision ID: location_0001
Revises: search_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nbtools.store.migrations.shared_locations import warn_shared

revision = "location_0001"
down_revision = "search_0001"
branch_labels = None
depends_on = None

#: The index's name.
INDEX = "dataset_location"


def upgrade() -> None:
    op.add_column(
        "datasets",
        sa.Column("shares_location", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    datasets = sa.table(
        "datasets",
        sa.column("name", sa.String()),
        sa.column("location", sa.String()),
        sa.column("shares_location", sa.Boolean()),
    )
    shared = (
        sa.select(datasets.c.location).group_by(datasets.c.location).having(sa.func.count() > 1)
    )
    bind = op.get_bind()
    bind.execute(
        sa.update(datasets).where(datasets.c.location.in_(shared)).values(shares_location=True)
    )
    unmarked = sa.text("NOT shares_location")
    key = sa.text("md5(location)") if bind.dialect.name == "postgresql" else "location"
    op.create_index(
        INDEX, "datasets", [key], unique=True, sqlite_where=unmarked, postgresql_where=unmarked
    )
    by_location: dict[str, list[str]] = {}
    marked = (
        sa.select(datasets.c.location, datasets.c.name)
        .where(datasets.c.shares_location)
        .order_by(datasets.c.location, datasets.c.name)
    )
    for location, name in bind.execute(marked):
        by_location.setdefault(location, []).append(name)
    if by_location:
        warn_shared(
            by_location,
            "The data catalog now holds one dataset per location",
            "catalogued before this was enforced",
        )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="datasets")
    op.drop_column("datasets", "shares_location")
