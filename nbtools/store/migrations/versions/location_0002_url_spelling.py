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

from alembic import op

from nbtools.store.migrations.shared_locations import respell_locations

revision = "location_0002"
down_revision = "location_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    respell_locations(
        op.get_bind(),
        "The data catalog now stores each URL location in one spelling (docs/governance.md)",
        "URLs written differently before",
    )


def downgrade() -> None:
    pass
