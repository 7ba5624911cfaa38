from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet
import pytest
from sqlalchemy import text

from nbtools.data.catalog import add_dataset, dataset_spec, edit_dataset, remove_dataset
from nbtools.data.search import search_datasets, search_words
from nbtools.errors import InvalidInputError
from nbtools.project import Project


def _add(project: Project, name: str, **declared: object) -> None:
    add_dataset(project, dataset_spec(project, name, declared))


def _names(project: Project, query: str) -> list[str]:
    return [dataset.name for dataset in search_datasets(project, query)]


@pytest.fixture
def catalog(catalog_project: Project) -> Project:
    data = catalog_project.root / "data"
    (data / "tx.csv").write_text("tx_id,customer_payment_amount\n1,2.5\n")
    pyarrow.parquet.write_table(
        pa.table({"customerId": [1], "churnScore": [0.5]}), data / "churn.parquet"
    )
    (data / "clicks.jsonl").write_text('{"session_id": "a", "page": "/"}\n')
    _add(catalog_project, "tx_2026", location="data/tx.csv")
    _add(catalog_project, "ledger", location="data/l.csv", description="Payments by customer.")
    _add(catalog_project, "churn", location="data/churn.parquet", tags=["model-input"])
    _add(catalog_project, "clicks", location="data/clicks.jsonl", description="Web sessions.")
    _add(catalog_project, "payment", location="data/p.csv", description="Unrelated words.")
    return catalog_project


def test_payment_finds_column_and_description_and_ranks_the_name_first(catalog: Project) -> None:
    found = _names(catalog, "payment")
    assert found[0] == "payment"  # the name weighs most
    assert set(found) == {"payment", "tx_2026", "ledger"}
    ranks = [dataset.rank for dataset in search_datasets(catalog, "payment")]
    assert ranks == sorted(ranks, reverse=True)  # type: ignore[type-var]


def test_stemming_case_and_split_identifiers(catalog: Project) -> None:
    assert set(_names(catalog, "Payments")) == {"payment", "tx_2026", "ledger"}
    assert _names(catalog, "churn score") == ["churn"]
    assert _names(catalog, "churnScore") == ["churn"]
    assert set(_names(catalog, "customerId")) == {"churn", "tx_2026"}  # tx_id, customer_...
    assert _names(catalog, "session") == ["clicks"]
    assert _names(catalog, "sessions web") == ["clicks"]
    assert _names(catalog, "model input") == ["churn"]
    assert _names(catalog, "payment web") == []


def test_a_word_s_beginning_finds_it_as_a_search_box_is_typed_into(catalog: Project) -> None:
    """``cust`` found nothing until ``custom``: a word had to be complete (or stem alike)."""
    assert set(_names(catalog, "cust")) == {"churn", "tx_2026", "ledger"}
    assert _names(catalog, "cli") == ["clicks"]
    assert _names(catalog, "ses w") == ["clicks"]  # every word, each as a beginning
    assert _names(catalog, "tx 20") == ["tx_2026"]
    assert _names(catalog, "paymentx") == []
    assert set(_names(catalog, "pay")) == {"payment", "tx_2026", "ledger"}  # not stemmed
    assert _names(catalog, "pay")[0] == "payment"  # the name still weighs most
    assert set(_names(catalog, "Payments")) == {"payment", "tx_2026", "ledger"}  # stemmed


def test_query_syntax_never_reaches_the_engine(catalog: Project) -> None:
    assert _names(catalog, "NEAR(payment") == []  # every word must match: "near" does not
    assert _names(catalog, "payment OR web") == []
    assert set(_names(catalog, 'payment*" ')) == {"payment", "tx_2026", "ledger"}
    assert _names(catalog, "'; DROP TABLE datasets; --") == []
    assert _names(catalog, "description:sessions") == []
    assert len(_names(catalog, "payment")) == 3
    for empty in ("", "  ", "__", '"', "*"):
        with pytest.raises(InvalidInputError):
            search_datasets(catalog, empty)
    with pytest.raises(InvalidInputError):
        search_datasets(catalog, "x", limit=0)


def test_a_search_s_cost_is_bounded_and_a_repeated_word_adds_nothing(catalog: Project) -> None:
    """Each word was one more condition, repeated or not, and the engine's cost grew faster
    than their number: 1,000 words (``a a a …``, 2 KB) held the CPU for tens of seconds.
    The different words count, at most 32, in at most 1,000 characters."""
    assert _names(catalog, "pay " * 250) == _names(catalog, "pay")  # 1,000 characters
    assert _names(catalog, "cust Pay cust pay") == _names(catalog, "cust pay")
    assert search_words("payment tx payment Tx") == ["payment", "tx"]
    most = " ".join(f"w{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(32))
    assert _names(catalog, most) == []
    for query, told in [
        (f"{most} wbg", "The search has 33 different words: at most 32."),
        ("pay " * 250 + "x", "The search is 1001 characters long: at most 1000."),
        ("pay\tment", r"A search cannot hold a control character \(U\+0009, character 4\)"),
        ("\0", r"A search cannot hold NUL \(U\+0000, character 1\)"),
    ]:
        with pytest.raises(InvalidInputError, match=told) as refused:
            search_datasets(catalog, query)
        assert refused.value.details["field"] == "query"


def test_the_index_follows_edits_and_removals(catalog: Project) -> None:
    edit_dataset(catalog, "clicks", {"description": "Payment page visits."})
    assert "clicks" in _names(catalog, "payment")
    assert _names(catalog, "web") == []
    remove_dataset(catalog, "ledger")
    assert "ledger" not in _names(catalog, "payment")
    _add(catalog, "ledger", location="data/l2.csv", description="Ledger lines.")
    assert _names(catalog, "ledger") == ["ledger"]
    assert "ledger" not in _names(catalog, "customer")


def test_limit(catalog: Project) -> None:
    assert len(search_datasets(catalog, "payment", limit=1)) == 1


def test_postgres_search_reads_the_stored_vector_through_its_index(
    postgres_url: str, tmp_path: Path
) -> None:
    from nbtools.data import search

    project = Project(tmp_path, db_url=postgres_url)
    try:
        with project.store.session() as session:
            definition = session.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'dataset_search'")
            ).scalar_one()
            generated = session.execute(
                text("SELECT generation_expression FROM information_schema.columns "
                     "WHERE table_name = 'datasets' AND column_name = 'dataset_search_vector'")
            ).scalar_one()  # fmt: skip
            session.execute(text("SET enable_seqscan = off"))
            explain = text(f"EXPLAIN {search._POSTGRES.text}")
            arguments = {"beginnings": ["own:*", "pay:*"], "limit": 20}
            plan = "\n".join(row[0] for row in session.execute(explain, arguments))
    finally:
        project.close()
    assert "USING gin (dataset_search_vector)" in definition
    for field in ("search_name", "search_tags", "search_columns", "description"):
        for configuration in ("english", "simple"):
            assert f"to_tsvector('{configuration}'::regconfig, {field})" in generated
    assert "Bitmap Index Scan on dataset_search" in plan


@pytest.fixture
def stopwords(catalog: Project) -> Project:
    """Datasets whose names, columns and descriptions hold English stopwords."""
    data = catalog.root / "data"
    (data / "accounts.csv").write_text("own_account,balance\n1,2\n")
    _add(catalog, "accounts", location="data/accounts.csv")
    _add(catalog, "reviews", location="data/r.csv", description="The reviews of a shop.")
    _add(catalog, "about_us", location="data/a.csv", tags=["web"])
    return catalog


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("own", {"accounts"}),  # a column own_account: PostgreSQL found nothing
        ("own account", {"accounts"}),
        ("own payment", set()),  # every word must match, a stopword too
        ("the", {"reviews"}),
        ("the shop", {"reviews"}),
        ("about", {"about_us"}),
        ("us", {"about_us"}),
        ("ab", {"about_us"}),  # the beginning of a stopword
        ("owns", {"accounts"}),  # stemmed
        ("ownx", set()),
        # ``a`` begins a word of these (account, amount, about, a): PostgreSQL found none
        ("a", {"accounts", "tx_2026", "reviews", "about_us"}),
        ("a pay", {"tx_2026"}),
    ],
)
def test_stopwords_are_found_on_both_engines(
    stopwords: Project, query: str, found: set[str]
) -> None:
    """PostgreSQL's ``english`` configuration drops stopwords; SQLite's index keeps every word,
    and so the docs: "a word also matches as the beginning of one"."""
    assert set(_names(stopwords, query)) == found


def test_a_store_made_before_gets_the_index_of_every_word(db_url: str, tmp_path: Path) -> None:
    from alembic import command

    from nbtools.store import migrations
    from nbtools.store.database import create_store_engine

    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "catalog_0003")  # before search_0001
    assert "search_0001" not in migrations.current_revisions(engine)
    engine.dispose()
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    project = Project(root, db_url=db_url)  # opening the store migrates it
    try:
        revisions = migrations.current_revisions(project.store.engine)
        assert set(revisions) == set(migrations.head_revisions())  # search_0001 among them
        (root / "data" / "accounts.csv").write_text("own_account,balance\n1,2\n")
        _add(project, "accounts", location="data/accounts.csv")
        assert _names(project, "own") == ["accounts"]
        if project.store.engine.dialect.name == "postgresql":
            with project.store.session() as session:
                indexed = session.execute(
                    text("SELECT count(*) FROM datasets "
                         "WHERE dataset_search_vector @@ to_tsquery('simple', 'own')")
                ).scalar_one()  # fmt: skip
            assert indexed == 1
    finally:
        project.close()
