"""Ranked search over the catalog, done by the database's full-text engine.

SQLite: the FTS5 table ``dataset_search`` (``porter`` stemming) ranked by ``bm25`` with the
name weighted highest, then tags and column names, then the description. PostgreSQL: the
weighted tsvector ``datasets.dataset_search_vector`` (each field's ``english`` stems and its
words as they are, ``simple``; stored, migration ``search_0001``) and its GIN index
``dataset_search``, ranked by ``ts_rank``.
The query is split into words by :func:`nbtools.data.words.split_words` (so ``customerPayment``
searches ``customer payment``) and every word must match, as a word (stemmed: ``payments``
finds ``payment``) or as the beginning of one (``cust`` finds ``customers``, as a search box
typed into expects). PostgreSQL matches beginnings itself (``cust:*``), of a stem or of a
word as it is: the ``english`` configuration drops stopwords (``own``, ``a``), which SQLite
indexes as any word. SQLite would stem a beginning as if it were a word (``pay`` becomes
``pai``), so each word is matched against the index's own terms that begin with it, read from
FTS5's vocabulary table. The words hold letters and digits only, and the terms come from the
index: no user text reaches the query syntax of either engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from nbtools.data.catalog import Dataset, datasets_by_id
from nbtools.data.words import split_words
from nbtools.errors import InvalidInputError
from nbtools.ids import check_limit
from nbtools.text import check_search_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.project import Project

#: bm25 weights of the FTS5 columns: name 10, description 2, tags 5, column names 5.
_SQLITE = text(
    "SELECT rowid, bm25(dataset_search, 10.0, 2.0, 5.0, 5.0) AS score FROM dataset_search "
    "WHERE dataset_search MATCH :query ORDER BY score, rowid LIMIT :limit"
)
#: ``:beginnings`` (``['cust:*', 'own:*']``): each must match, as the beginning of a stem
#: (``english``) or of a word as it is (``simple``: a stopword has no stem, and ``english``
#: alone would leave an empty query, which matches nothing).
_POSTGRES = text(
    "WITH typed AS (SELECT string_agg('(' || "
    "(to_tsquery('english', beginning) || to_tsquery('simple', beginning))::text || ')', ' & ')"
    "::tsquery AS query FROM unnest(CAST(:beginnings AS text[])) AS beginning) "
    "SELECT id, ts_rank(dataset_search_vector, typed.query) AS score FROM datasets, typed "
    "WHERE dataset_search_vector @@ typed.query ORDER BY score DESC, id LIMIT :limit"
)

#: The index's terms (stemmed words), through FTS5's vocabulary table, one per connection.
_SQLITE_TERMS = text(
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.dataset_terms "
    "USING fts5vocab(main, dataset_search, row)"
)
_SQLITE_BEGINNING = text(
    "SELECT term FROM temp.dataset_terms WHERE term >= :start AND term < :end "
    "ORDER BY term LIMIT :most"
)

MAX_SEARCH_LIMIT = 1000
#: At most this many of the index's terms stand for one typed beginning on SQLite.
MAX_TERMS_PER_WORD = 100
#: At most this many different words in one search, and this many characters. Each word
#: is one more condition every match is checked and ranked against (on SQLite, through up to
#: :data:`MAX_TERMS_PER_WORD` terms), and the engines' cost grows faster than the number of
#: conditions: 1,000 words held a server's CPU for over a minute.
MAX_SEARCH_WORDS = 32
MAX_SEARCH_LENGTH = 1000


def search_datasets(
    project: Project, query: str, limit: int = 20, field: str = "query"
) -> list[Dataset]:
    """The datasets matching every word of ``query``, best first (each with its ``rank``:
    higher is better on both engines); a query without words, or too long
    (:func:`search_words`), is refused naming ``field``."""
    words = search_words(query, field)
    check_limit(limit, MAX_SEARCH_LIMIT)
    with project.store.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            beginnings = [f"{word}:*" for word in words]
            rows = session.execute(_POSTGRES, {"beginnings": beginnings, "limit": limit})
            ranked = [(row[0], float(row[1])) for row in rows]
        else:
            rows = session.execute(
                _SQLITE, {"query": _sqlite_match(session, words), "limit": limit}
            )
            ranked = [(row[0], -float(row[1])) for row in rows]
        return datasets_by_id(session, ranked)


def search_words(query: str, field: str = "query") -> list[str]:
    """The different words of ``query``, in their order (a word said again adds nothing to
    match); refused naming ``field`` when there are none, more than :data:`MAX_SEARCH_WORDS`,
    or more than :data:`MAX_SEARCH_LENGTH` characters, or holding a control character
    (:func:`~nbtools.text.check_search_text`)."""
    check_search_text(query, field)
    if len(query) > MAX_SEARCH_LENGTH:
        raise InvalidInputError(
            f"The search is {len(query)} characters long: at most {MAX_SEARCH_LENGTH}. "
            "Search for a few words of the names, tags, columns or descriptions.",
            field=field,
        )
    words = list(dict.fromkeys(split_words(query)))
    if not words:
        raise InvalidInputError(f"The search {query!r} has no words to look for.", field=field)
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidInputError(
            f"The search has {len(words)} different words: at most {MAX_SEARCH_WORDS}. Every "
            "word must match, so fewer words find at least as much.",
            field=field,
        )
    return words


def _sqlite_match(session: Session, words: list[str]) -> str:
    """The FTS5 query: each word, or any term of the index beginning with it, must match."""
    session.execute(_SQLITE_TERMS)
    groups = []
    for word in words:
        bounds = {"start": word, "end": word + "\U0010ffff", "most": MAX_TERMS_PER_WORD}
        terms = dict.fromkeys([word, *session.scalars(_SQLITE_BEGINNING, bounds)])
        groups.append("(" + " OR ".join(f'"{term}"' for term in terms) + ")")
    return " AND ".join(groups)
