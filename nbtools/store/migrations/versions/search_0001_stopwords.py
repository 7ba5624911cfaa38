"""PostgreSQL's search index also holds every word as it is (the ``simple`` configuration)
beside its ``english`` stems, in a stored column the index and the ranking both read.

The ``english`` configuration drops stopwords (``own``, ``a``, ``the``), so a search for one
found nothing on PostgreSQL where SQLite, whose index keeps every word, found the datasets.
Twice the words would have doubled the work of ranking, which recomputed the vector of each
match: the stored ``dataset_search_vector`` is computed once, when a dataset is written.
SQLite's index is unchanged.

Revision ID: search_0001
Revises: catalog_0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "search_0001"
down_revision = "catalog_0003"
branch_labels = ("search",)
depends_on = None

#: Each field's stems, then its words as they are, with the field's weight.
POSTGRES_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, description), 'C')"
)
#: The index of ``catalog_0001``: the stems only, computed from the columns.
STEMS_ONLY_INDEX = (
    "CREATE INDEX dataset_search ON datasets USING gin (("
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX dataset_search")
        op.execute(
            "ALTER TABLE datasets ADD COLUMN dataset_search_vector tsvector "
            f"GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX dataset_search ON datasets USING gin (dataset_search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX dataset_search")
        op.execute("ALTER TABLE datasets DROP COLUMN dataset_search_vector")
        op.execute(STEMS_ONLY_INDEX)
