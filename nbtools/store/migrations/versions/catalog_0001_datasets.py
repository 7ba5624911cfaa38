"""The data catalog: datasets and their full-text search index.

On SQLite the index is an FTS5 table (``porter`` stemming) over the ``datasets`` columns it
names, kept in step by triggers; a later migration that rebuilds ``datasets`` with
``batch_alter_table`` must create the triggers again. On PostgreSQL it is a GIN index on the
weighted ``english`` tsvector that :mod:`nbtools.data.search` queries with the same expression.

Revision ID: catalog_0001
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = "0002"
branch_labels = ("catalog",)
depends_on = None

#: The tsvector the index holds; ``nbtools.data.search`` queries this exact expression.
POSTGRES_INDEX = (
    "CREATE INDEX dataset_search ON datasets USING gin (("
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')))"
)

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE dataset_search USING fts5("
    "search_name, description, search_tags, search_columns, "
    "content='datasets', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER dataset_search_insert AFTER INSERT ON datasets BEGIN "
    "INSERT INTO dataset_search(rowid, search_name, description, search_tags, search_columns) "
    "VALUES (new.id, new.search_name, new.description, new.search_tags, new.search_columns); "
    "END",
    "CREATE TRIGGER dataset_search_delete AFTER DELETE ON datasets BEGIN "
    "INSERT INTO dataset_search(dataset_search, rowid, search_name, description, search_tags, "
    "search_columns) VALUES ('delete', old.id, old.search_name, old.description, "
    "old.search_tags, old.search_columns); END",
    "CREATE TRIGGER dataset_search_update AFTER UPDATE ON datasets BEGIN "
    "INSERT INTO dataset_search(dataset_search, rowid, search_name, description, search_tags, "
    "search_columns) VALUES ('delete', old.id, old.search_name, old.description, "
    "old.search_tags, old.search_columns); "
    "INSERT INTO dataset_search(rowid, search_name, description, search_tags, search_columns) "
    "VALUES (new.id, new.search_name, new.description, new.search_tags, new.search_columns); "
    "END",
)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("location", sa.String(2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("classification", sa.String(16), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("retention", sa.String(16), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("schema_fields", sa.JSON(), nullable=True),
        sa.Column("schema_note", sa.Text(), nullable=True),
        sa.Column("search_name", sa.Text(), nullable=False),
        sa.Column("search_tags", sa.Text(), nullable=False),
        sa.Column("search_columns", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('public', 'internal', 'personal', 'sensitive')",
            name=op.f("ck_datasets_classification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_INDEX)
        return
    for statement in SQLITE_INDEX:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX dataset_search")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER dataset_search_{trigger}")
        op.execute("DROP TABLE dataset_search")
    op.drop_table("datasets")
