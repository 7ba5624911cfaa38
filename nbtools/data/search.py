"""Ranked search over the catalog, done by the database's full-text engine.

SQLite: the FTS5 table ``dataset_search`` (``porter`` stemming) ranked by ``bm25`` with the
name weighted highest, then tags and column names, then the description. PostgreSQL: the
weighted ``english`` tsvector of the ``dataset_search`` GIN index, ranked by ``ts_rank``.
The query is split into words by :func:`nbtools.data.words.split_words` (so ``customerPayment``
searches ``customer payment``) and every word must match; no user text reaches the query
syntax of either engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from nbtools.data.catalog import Dataset, datasets_by_id
from nbtools.data.words import split_words
from nbtools.errors import InvalidInputError

if TYPE_CHECKING:
    from nbtools.project import Project

#: The tsvector of the PostgreSQL index (migration ``catalog_0001``): the query must use the
#: identical expression for the index to be used (a test compares the two).
POSTGRES_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')"
)

#: bm25 weights of the FTS5 columns: name 10, description 2, tags 5, column names 5.
_SQLITE = text(
    "SELECT rowid, bm25(dataset_search, 10.0, 2.0, 5.0, 5.0) AS score FROM dataset_search "
    "WHERE dataset_search MATCH :query ORDER BY score, rowid LIMIT :limit"
)
_POSTGRES = text(
    "SELECT id, ts_rank("
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C'), query) AS score "
    "FROM datasets, plainto_tsquery('english', :query) AS query WHERE ("
    "setweight(to_tsvector('english'::regconfig, search_name), 'A') || "
    "setweight(to_tsvector('english'::regconfig, search_tags), 'B') || "
    "setweight(to_tsvector('english'::regconfig, search_columns), 'B') || "
    "setweight(to_tsvector('english'::regconfig, description), 'C')) @@ query "
    "ORDER BY score DESC, id LIMIT :limit"
)

MAX_SEARCH_LIMIT = 1000


def search_datasets(
    project: Project, query: str, limit: int = 20, field: str = "query"
) -> list[Dataset]:
    """The datasets matching every word of ``query``, best first (each with its ``rank``:
    higher is better on both engines); a query without words is refused naming ``field``."""
    words = split_words(query)
    if not words:
        raise InvalidInputError(f"The search {query!r} has no words to look for.", field=field)
    if not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise InvalidInputError(f"The limit must be 1 to {MAX_SEARCH_LIMIT}.", field="limit")
    with project.store.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            rows = session.execute(_POSTGRES, {"query": " ".join(words), "limit": limit})
            ranked = [(row[0], float(row[1])) for row in rows]
        else:
            fts_query = " ".join(f'"{word}"' for word in words)
            rows = session.execute(_SQLITE, {"query": fts_query, "limit": limit})
            ranked = [(row[0], -float(row[1])) for row in rows]
        return datasets_by_id(session, ranked)
