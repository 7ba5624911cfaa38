"""Each URL location in the spelling :func:`nbtools.urls.normalized_url` gives it now: fsspec's
other name of an object store's protocol as its first (``s3a://`` is ``s3://``, ``gcs://`` is
``gs://``), and the host of an Azure storage URL (``abfs://container@Account.dfs.core.windows.net``)
in lower case, so that each such URL is the one location of its object. Paths are left as they
are.

Datasets whose locations were two spellings of one object share it once spelled so: as in
``location_0002``, the upgrade never fails for them; each is marked ``shares_location``, and a
warning names them.

The downgrade keeps the locations as spelled: the spellings they had are not kept.

Revision ID: location_0003
Revises: location_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from nbtools.store.migrations.shared_locations import respell_locations

revision = "location_0003"
down_revision = "location_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    respell_locations(
        op.get_bind(),
        "The data catalog now spells an object store's URL with one name of its protocol "
        "(s3a:// as s3://, gcs:// as gs://) and an Azure account's host in lower case "
        "(docs/governance.md)",
        "URLs of one object written differently before",
    )


def downgrade() -> None:
    pass
