from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from nbtools.errors import StoreError, StoreTooNewError, StoreUnavailableError
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import SQLITE_PAGE_SIZE, Store, create_store_engine
from nbtools.store.tables import notebooks, store_info
from tests import held
from tests.unit.test_cli import run_cli


def test_new_store_is_migrated_to_head(tmp_path: Path) -> None:
    project = Project(tmp_path)  # not the ``project`` fixture: its store is a migrated copy
    assert project.store.revision().split(", ") == sorted(migrations.head_revisions())
    assert (project.store_dir / "nbtools.db").exists()
    assert {"store_info", "notebooks", "alembic_version"} <= set(project.store.table_names())
    project.close()


def test_sqlite_uses_wal_and_busy_timeout(project: Project) -> None:
    with project.store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_a_new_sqlite_store_has_small_pages(tmp_path: Path) -> None:
    project = Project(tmp_path)
    with project.store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        tables = connection.exec_driver_sql(
            "SELECT count(*) FROM sqlite_schema WHERE rootpage > 0"
        ).scalar()
    project.close()
    # one page per table and index, and the schema's: about 100 KiB, not 4 times that
    assert isinstance(pages, int)
    assert isinstance(tables, int)
    assert tables < pages < 2 * tables
    assert (project.store_dir / "nbtools.db").stat().st_size == pages * SQLITE_PAGE_SIZE


def test_a_store_made_with_bigger_pages_keeps_them(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    old = sqlite3.connect(database)
    old.execute("PRAGMA page_size = 4096")
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE kept (value TEXT)")
    old.execute("INSERT INTO kept VALUES ('before')")
    old.commit()
    old.close()

    store = Store.open(f"sqlite:///{database}", lock_dir=tmp_path)
    try:
        with store.connection(write=True) as connection:
            assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 4096
            connection.execute(insert(notebooks).values(path="a.ipynb"))
            assert connection.exec_driver_sql("SELECT value FROM kept").scalar() == "before"
    finally:
        store.close()
    check = sqlite3.connect(database)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("SELECT path FROM notebooks").fetchall() == [("a.ipynb",)]
    check.close()


def test_database_at_an_older_revision_is_upgraded_and_keeps_its_data(
    db_url: str, tmp_path: Path
) -> None:
    engine = create_store_engine(db_url)
    migrations.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO store_info (key, value) VALUES ('created_by', 'v0')"))
    assert migrations.current_revisions(engine) == ("0001",)
    engine.dispose()

    store = Store.open(db_url, lock_dir=tmp_path)
    try:
        assert set(migrations.current_revisions(store.engine)) == set(migrations.head_revisions())
        with store.connection() as connection:
            created_by = select(store_info.c.value).where(store_info.c.key == "created_by")
            assert connection.scalar(created_by) == "v0"
            connection.execute(insert(notebooks).values(path="a.ipynb"))
        with store.connection() as connection:
            assert connection.scalars(select(notebooks.c.path)).all() == ["a.ipynb"]
    finally:
        store.close()


def _add_then_fail(project: Project) -> None:
    with project.store.connection(write=True) as connection:
        connection.execute(insert(notebooks).values(path="lost.ipynb"))
        raise RuntimeError("boom")


def test_failed_transaction_rolls_back(project: Project) -> None:
    with pytest.raises(RuntimeError):
        _add_then_fail(project)
    with project.store.connection() as connection:
        assert connection.execute(select(notebooks)).all() == []


@pytest.mark.parametrize("snapshot", [True, False])
def test_a_snapshot_reads_the_store_as_it_was_at_its_first_query(
    store_url: str, snapshot: bool
) -> None:
    """What another connection commits meanwhile is not seen by a snapshot (copying the
    store reads every table in one); PostgreSQL's default transactions see it."""
    store = Store.open(store_url)
    count = select(func.count()).select_from(notebooks)
    try:
        with store.connection(snapshot=snapshot) as reading:
            assert reading.execute(count).scalar_one() == 0
            with store.connection(write=True) as writing:
                writing.execute(insert(notebooks).values(path="new.ipynb"))
            seen = reading.execute(count).scalar_one()
    finally:
        store.close()
    assert seen == (1 if store_url.startswith("postgresql") and not snapshot else 0)


def _insert_many(db_url: str, lock_dir: Path, prefix: str) -> None:
    store = Store.open(db_url, lock_dir=lock_dir)
    for index in range(40):
        with store.connection(write=True) as connection:
            connection.execute(insert(notebooks).values(path=f"{prefix}-{index}.ipynb"))
    store.close()


def test_two_processes_migrate_and_write_one_database_concurrently(
    db_url: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_insert_many, args=(db_url, tmp_path, name)) for name in "ab"]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = Store.open(db_url, lock_dir=tmp_path)
    with store.connection() as connection:
        assert len(connection.execute(select(notebooks)).all()) == 80
    store.close()


def test_unusable_url_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Cannot use the database URL"):
        Store.open("nosuchdialect://x")
    # a port SQLAlchemy cannot read (a ValueError, whose text would show it: here a part of
    # a password holding an '@') is told without its text
    for url in ("postgresql+psycopg://me:s3cret@db:5432x/x", "postgresql+psycopg://me:p@ss:w@db/x"):
        with pytest.raises(StoreError) as info:
            Store.open(url)
        assert info.value.details["reason"].startswith("a port or an option in it has the wrong")
        assert "s3cret" not in info.value.message
        assert "w@db" not in info.value.details["reason"]
    with pytest.raises(StoreError, match="Cannot open the store"):
        Store.open(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


@pytest.mark.parametrize(
    "password", ["s3cr@tPass", "Aa1@Bb2@Cc3", "@Lead9", "Trail9@", "Xx1@Yy2:Zz3", "Pp1:Qq2@Rr3"]
)
def test_no_part_of_a_password_holding_an_unencoded_at_is_shown(password: str) -> None:
    """SQLAlchemy ends a login at its first '@' and masked only that part: the store was
    "postgresql+psycopg://nbtools:***@tPass@127.0.0.1:…", the driver's error naming the host
    'tPass@127.0.0.1'. Such a URL is refused before connecting, showing none of it."""
    url = f"postgresql+psycopg://nbtools:{password}@127.0.0.1:1/nbtools"
    with pytest.raises(StoreError) as info:
        Store.open(url)
    shown = f"{info.value.message} {info.value.details}"
    assert "must be percent-encoded (@ as %40)" in info.value.details["reason"]
    assert "postgresql+psycopg://127.0.0.1:1/nbtools" in info.value.message
    for part in password.replace(":", "@").split("@"):
        assert not part or part not in shown, part
    assert "nbtools:" not in shown


def test_a_store_that_cannot_be_opened_is_named_without_its_login() -> None:
    """An encoded password's store, unreachable: named without the login, in the message and
    its details (it was "nbtools:***@"); ``nbtools status`` names it so when it opens."""
    for password in ("s3cr%40tPass", "p%3Ass%2Fw"):
        with pytest.raises(StoreError, match="Cannot open the store") as info:
            Store.open(f"postgresql+psycopg://nbtools:{password}@127.0.0.1:1/nbtools")
        assert info.value.message.startswith(
            "Cannot open the store postgresql+psycopg://127.0.0.1:1/nbtools: "
        )
        assert info.value.details["db_url"] == "postgresql+psycopg://127.0.0.1:1/nbtools"
        assert "s3cr" not in info.value.message
        assert "ss%2Fw" not in info.value.message


def test_a_database_server_that_is_down_is_said_in_one_line_and_exits_1(
    tmp_path: Path,
) -> None:
    """The scheduler started while PostgreSQL was down printed the driver's two lines (its
    advice on a line of its own, behind a tab) and exited 2, bad input's code: now one line
    saying what to do, and exit 1, as for a run the store could not record (REST: 503)."""
    from tests.postgres import free_port

    url = f"postgresql+psycopg://nbtools@127.0.0.1:{free_port()}/nbtools"
    result = run_cli("--root", str(tmp_path), "--db-url", url, "scheduler")
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: Cannot open the store {url.replace('nbtools@', '')}: ")
    assert "Connection refused" in line
    assert line.endswith(
        "Check that its database server is running and reachable from this machine, then try again."
    )
    with pytest.raises(StoreUnavailableError):
        Store.open(url)


def test_migrations_match_the_models(db_url: str) -> None:
    """The migrations create exactly the tables of the modules ``nbtools.storecopy`` imports
    (and copies)."""
    import importlib

    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from nbtools.store.base import Base

    importlib.import_module("nbtools.storecopy")  # every module declaring tables

    def modelled(name: str | None, type_: str, parent: dict[str, str]) -> bool:
        # the catalog's full-text index (FTS5 tables on SQLite, a GIN index on PostgreSQL)
        # and its partial unique index of locations (an MD5 expression on PostgreSQL)
        return not (name or "").startswith(("dataset_search", "dataset_location"))

    store = Store.open(db_url)
    dialect = store.engine.dialect.name

    def made_here(item: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        return reflected or type_ != "index" or made_on(item, dialect)

    try:
        with store.engine.connect() as connection:
            options = {"include_name": modelled, "include_object": made_here}
            context = MigrationContext.configure(connection, opts=options)
            differences = compare_metadata(context, Base.metadata)
    finally:
        store.close()
    assert differences == []


#: Foreign keys without an index of their own on each database, and why nothing needs one:
#: the database checks, for each row removed from the table a key refers to, what refers to it
#: (a whole table read without an index: ``nbtools version gc`` took minutes on a long history
#: before its keys were indexed).
UNINDEXED_FOREIGN_KEYS = {
    ("notifications", "run_id"): "runs are never removed: retention prunes their outputs",
    ("alert_rules", "last_error_run_id"): "runs are never removed",
}
#: On SQLite, besides: what refers to a stored object (``versions_0003``).
UNINDEXED_ON_SQLITE = {
    ("version_objects", "base"): "gc removes objects with keys unenforced, checked once",
    ("versions", "manifest"): "gc removes objects with keys unenforced, checked once",
}
#: Indexes whose columns begin another index or unique constraint, and why they are kept.
KEPT_PREFIX_INDEXES: dict[tuple[str, tuple[str, ...]], str] = {}


def made_on(index: Any, dialect: str) -> bool:
    """Whether the migrations make ``index`` on ``dialect``: an index declared with
    ``ddl_if(dialect=...)`` is made on that database only."""
    condition = index._ddl_if
    return condition is None or condition.dialect in (None, dialect)


def _keyed_columns(table: Any, dialect: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """``table``'s indexes on ``dialect``, and its unique and primary keys, as tuples of
    column names."""
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    indexes = [
        tuple(column.name for column in index.columns)
        for index in table.indexes
        if made_on(index, dialect)
    ]
    keys = [
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint)
    ]
    return indexes, keys


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_every_foreign_key_is_indexed_and_no_index_repeats_another(dialect: str) -> None:
    import importlib

    from nbtools.store.base import Base

    importlib.import_module("nbtools.storecopy")  # every module declaring tables
    unindexed, repeated = set(), set()
    for table in Base.metadata.sorted_tables:
        indexes, keys = _keyed_columns(table, dialect)
        for key in table.foreign_keys:
            if not any(columns[0] == key.parent.name for columns in indexes + keys):
                unindexed.add((table.name, key.parent.name))
        for columns in indexes:
            if any(
                other != columns and other[: len(columns)] == columns for other in indexes + keys
            ):
                repeated.add((table.name, columns))
    expected = {**UNINDEXED_FOREIGN_KEYS, **(UNINDEXED_ON_SQLITE if dialect == "sqlite" else {})}
    assert unindexed == set(expected)
    assert repeated == set(KEPT_PREFIX_INDEXES)


#: The ORM classes mapped onto Core tables (``__table__``): name → its ``models`` module.
MAPPED_CLASSES = {
    "Job": "nbtools.jobs.models",
    "Run": "nbtools.jobs.models",
    "DatasetRecord": "nbtools.data.models",
    "RunDatasetRecord": "nbtools.data.models",
    "ArtifactRecord": "nbtools.artifacts.models",
}


@pytest.mark.parametrize("name", sorted(MAPPED_CLASSES))
def test_a_mapped_class_types_exactly_its_tables_columns(name: str) -> None:
    """A class mapped onto a Core table only types its attributes: one annotation per column,
    optional exactly where the column is nullable (SQLAlchemy ignores an annotation without a
    column, and maps a column without one untyped)."""
    import importlib

    mapped = getattr(importlib.import_module(MAPPED_CLASSES[name]), name)
    columns = {column.name: column for column in mapped.__table__.columns}
    annotations = mapped.__annotations__  # strings: the models use postponed annotations
    assert set(annotations) == set(columns)
    for attribute, annotation in annotations.items():
        assert annotation.endswith("| None]") == columns[attribute].nullable, attribute


def test_fast_head_check_agrees_with_alembic() -> None:
    assert migrations.known_heads() == frozenset(migrations.head_revisions())


def write_newer_store(root: Path) -> Path:
    """A store at ``root`` that a newer jupyter-nbtools has migrated (an unknown revision)."""
    project = Project(root)
    with project.store.connection() as connection:
        connection.execute(insert(notebooks).values(path="kept.ipynb"))
    with project.store.engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('9000_from_the_future')"))
    project.close()
    return project.store_dir / "nbtools.db"


def test_a_store_written_by_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    database = write_newer_store(tmp_path)
    before = database.read_bytes()
    with pytest.raises(StoreTooNewError, match=r"newer version .*9000_from_the_future.*upgrade"):
        Project(tmp_path).store  # noqa: B018
    assert database.read_bytes() == before
    assert not list(database.parent.glob("nbtools.db.before-*"))  # nothing to back up: no change

    result = run_cli("--root", str(tmp_path), "status")
    assert result.returncode == 2
    assert "written by a newer version of jupyter-nbtools (revision 9000_from_the_future)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_sqlite_store_is_copied_beside_itself_before_it_is_migrated(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    engine = create_store_engine(f"sqlite:///{database}")
    migrations.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO store_info (key, value) VALUES ('created_by', 'v0')"))
    engine.dispose()

    Store.open(f"sqlite:///{database}", lock_dir=tmp_path).close()
    copy = tmp_path / "store.db.before-0001"
    assert copy.is_file()
    with contextlib.closing(sqlite3.connect(copy)) as connection:  # the store as it was
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0001",)
        ]
        assert connection.execute("SELECT value FROM store_info").fetchall() == [("v0",)]

    Store.open(f"sqlite:///{database}", lock_dir=tmp_path).close()  # at head: no new copy
    assert sorted(path.name for path in tmp_path.glob("store.db.before-*")) == [copy.name]


def test_a_new_store_needs_no_copy(tmp_path: Path) -> None:
    Store.open(f"sqlite:///{tmp_path / 'new.db'}", lock_dir=tmp_path).close()
    assert not list(tmp_path.glob("new.db.before-*"))


def test_a_full_disk_during_the_copy_before_a_migration_leaves_the_store_untouched(
    tmp_path: Path,
) -> None:
    """Before: a traceback ending in ``sqlite3.OperationalError: disk I/O error``, and an
    empty ``nbtools.db.before-0001`` that, copied back as the docs say, restores nothing."""
    database = tmp_path / ".nbtools/nbtools.db"
    database.parent.mkdir()
    engine = create_store_engine(f"sqlite:///{database}")
    migrations.upgrade(engine, "0001")
    with engine.begin() as connection:
        for n in range(200):
            connection.execute(
                text("INSERT INTO store_info (key, value) VALUES (:key, :value)"),
                {"key": f"k{n}", "value": "v" * 1000},
            )
    engine.dispose()  # the last connection closed: the journal is in the file
    before = database.read_bytes()
    done = held.run(tmp_path, "status", file_size=64 * 1024)  # the copy fails past 64 KiB
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"Cannot copy the store {database} to {database}.before-0001 before migrating" in line
    assert "Free some space" in line
    assert sorted(p.name for p in database.parent.iterdir() if "before" in p.name) == []
    assert database.read_bytes() == before
