"""Each URL location in its one spelling (:func:`nbtools.urls.normalized_url`: the scheme in
lower case; an HTTP(S) URL's host in lower case, without its default port or dot segments,
unreserved characters unescaped; …), as the catalog now stores and looks locations up, so that
``S3://b/x.csv`` and ``s3://b/x.csv`` are one location. Paths are left as they are.

Datasets whose locations were two spellings of one URL share it once spelled so. As in
``location_0001``, the upgrade never fails for them: each is marked ``shares_location`` (left
out of the unique index) before any location changes, and a warning names them; they keep
working and can be edited until moved apart.

The downgrade keeps the locations as spelled: the spellings they had are not kept.

Revision ID: location_0002
Revises: location_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nbtools.store.migrations.shared_locations import warn_shared
from nbtools.urls import normalized_url

revision = "location_0002"
down_revision = "location_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    datasets = sa.table(
        "datasets",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("location", sa.String()),
        sa.column("shares_location", sa.Boolean()),
    )
    bind = op.get_bind()
    query = sa.select(datasets.c.id, datasets.c.name, datasets.c.location)
    rows: list[tuple[int, str, str]] = [
        (row_id, name, location)
        for row_id, name, location in bind.execute(query.order_by(datasets.c.name))
    ]
    at: dict[str, list[tuple[int, str, str]]] = {}
    for row in rows:
        at.setdefault(normalized_url(row[2]), []).append(row)
    shared = {location: held for location, held in at.items() if len(held) > 1}
    # marked first: a row spelled anew may take the location of one still at its spelling
    marked = [{"row_id": row_id} for held in shared.values() for row_id, _, _ in held]
    by_id = datasets.c.id == sa.bindparam("row_id", type_=sa.Integer())
    if marked:
        bind.execute(sa.update(datasets).where(by_id).values(shares_location=True), marked)
    moved = [
        {"row_id": row_id, "spelled": spelled}
        for spelled, held in at.items()
        for row_id, _, location in held
        if location != spelled
    ]
    if moved:
        bind.execute(
            sa.update(datasets).where(by_id).values(location=sa.bindparam("spelled")), moved
        )
    newly = {
        spelled: [name for _, name, _ in held]
        for spelled, held in sorted(shared.items())
        if any(location != spelled for _, _, location in held)
    }
    if newly:
        warn_shared(
            newly,
            "The data catalog now stores each URL location in one spelling (docs/governance.md)",
            "URLs written differently before",
        )


def downgrade() -> None:
    pass
