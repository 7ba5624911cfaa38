"""A dataset's identity: ``datasets.uid``, and the identity of the dataset each run used
(``run_datasets.dataset_uid``), so that a dataset's retention reaches the runs of that
dataset only. Joined by name, a dataset removed and catalogued again under its name with a
shorter retention expired the runs of the one removed. The integer ``id`` is no identity:
SQLite gives the highest one again once its row is deleted.

Each dataset gets a random identity. A use recorded before gets the identity of the dataset
now catalogued under its name when that one was catalogued before the run started (it is
then the dataset the run used: a name names one dataset at a time); otherwise none (the
dataset it used has left the catalog, and with it its retention).

``uid`` is added with the server default ``''`` (SQLite adds a ``NOT NULL`` column only with
a constant default) and filled at once; the catalog always gives it.

Revision ID: retention_0002
Revises: erasure_0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "retention_0002"
down_revision = "erasure_0001"
branch_labels = None
depends_on = None

datasets = sa.table(
    "datasets",
    sa.column("id", sa.Integer()),
    sa.column("uid", sa.String()),
    sa.column("name", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
run_datasets = sa.table(
    "run_datasets",
    sa.column("run_id", sa.Integer()),
    sa.column("dataset", sa.String()),
    sa.column("dataset_uid", sa.String()),
)
runs = sa.table(
    "runs",
    sa.column("id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("started_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column("datasets", sa.Column("uid", sa.String(32), nullable=False, server_default=""))
    bind = op.get_bind()
    ids = bind.execute(sa.select(datasets.c.id)).scalars().all()
    if ids:
        by_id = datasets.c.id == sa.bindparam("row_id", type_=sa.Integer())
        bind.execute(
            sa.update(datasets).where(by_id).values(uid=sa.bindparam("new_uid")),
            [{"row_id": row_id, "new_uid": uuid.uuid4().hex} for row_id in ids],
        )
    op.create_index("ix_datasets_uid", "datasets", ["uid"], unique=True)
    op.add_column("run_datasets", sa.Column("dataset_uid", sa.String(32), nullable=True))
    started = sa.func.coalesce(runs.c.started_at, runs.c.created_at)
    same = (  # correlated: each use's dataset and run
        sa.select(datasets.c.uid)
        .where(
            runs.c.id == run_datasets.c.run_id,
            datasets.c.name == run_datasets.c.dataset,
            datasets.c.created_at <= started,
        )
        .scalar_subquery()
    )
    bind.execute(sa.update(run_datasets).values(dataset_uid=same))
    op.create_index("ix_run_datasets_dataset_uid", "run_datasets", ["dataset_uid"])


def downgrade() -> None:
    op.drop_index("ix_run_datasets_dataset_uid", table_name="run_datasets")
    op.drop_column("run_datasets", "dataset_uid")
    op.drop_index("ix_datasets_uid", table_name="datasets")
    op.drop_column("datasets", "uid")
