"""Opening the store: engine set-up (SQLite WAL + busy timeout), migrations, sessions.

A store is migrated when it is opened; a process that keeps it open (a server, a scheduler)
may then see a newer jupyter-nbtools migrate it meanwhile. So every write transaction is
refused, nothing written, when the revisions the store records (one row per migration
branch) include one this code does not know (:class:`~nbtools.errors.StoreTooNewError`: exit
2, HTTP 409), as :meth:`Store.revision` (the status report) is. They are read as the
transaction starts: on SQLite in it, under the write lock ``BEGIN IMMEDIATE`` takes; on
PostgreSQL by the query that checks the connection is alive as it is taken from the pool for
the transaction (:func:`_configure_postgresql`), which costs no round trip of its own: under
``READ COMMITTED``, PostgreSQL's default, a query in the transaction would see no more than
one just before it, and neither holds a lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from nbtools.errors import NbtoolsError, StoreError, StoreUnavailableError
from nbtools.store import foreignkeys, migrations, shown_url
from nbtools.store.failures import unusable
from nbtools.store.url import BAD_PART, form_problem, misnamed_dialect
from nbtools.urls import without_login

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

#: Milliseconds a SQLite writer waits for another process's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000
#: Bytes of a new SQLite database's pages. Every table and index of every feature takes at
#: least one page, used or not: with SQLite's default 4 KiB an empty store was 65 pages, 0.25
#: MiB. A page of runs or a catalog search takes ≈ 2 % longer with 1 KiB pages
#: (docs/performance.md, "What the version store holds"). A database keeps the size it was
#: created with: the pragma does nothing once the file has content.
SQLITE_PAGE_SIZE = 1024


def _configure_sqlite(engine: Engine) -> None:
    """WAL journal and a busy timeout, so a server and CLI processes can share the file; small
    pages for a new database (:data:`SQLITE_PAGE_SIZE`).

    pysqlite's own transaction handling is switched off and ``BEGIN`` emitted by us, so that
    transactional DDL works and a write session can ask for ``BEGIN IMMEDIATE`` (taking the
    write lock up front rather than failing on a lock upgrade).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")  # before WAL fixes it
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("nbtools_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    """Every session in UTC: a server or database whose ``timezone`` is another zone
    (``ALTER DATABASE … SET timezone``) would have the driver read every moment in that zone
    (``+09:00``), and the CLI show it as a schedule's own zone rather than local time.

    A connection taken from the pool is checked alive by reading the store's revisions (in
    place of ``pool_pre_ping``'s ``SELECT 1``), kept for the transaction it is taken for
    (:data:`CHECKED_OUT_REVISIONS`): a write transaction then needs no query of its own to
    refuse a store a newer jupyter-nbtools migrated (measured on a loopback server, a
    round trip of ≈ 0.3 ms in a write transaction of ≈ 1.2 ms). A connection that does not
    answer is replaced, as ``pool_pre_ping`` replaces it."""
    dbapi = engine.dialect.loaded_dbapi

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        try:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True  # read outside any transaction, as a ping is
            with contextlib.closing(dbapi_connection.cursor()) as cursor:
                try:
                    cursor.execute(_REVISIONS.text)
                    revisions = frozenset(row[0] for row in cursor)
                except dbapi.ProgrammingError:  # a new database: no alembic_version yet
                    revisions = frozenset()
            dbapi_connection.autocommit = autocommit
        except (dbapi.OperationalError, dbapi.InterfaceError) as error:
            raise DisconnectionError(str(error)) from error  # the pool takes another
        record.info[CHECKED_OUT_REVISIONS] = revisions

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a session setting, outside any transaction
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.close()
        dbapi_connection.autocommit = autocommit


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` with nbtools' connection settings applied; a URL it cannot be
    made for is a :class:`StoreError` whose ``details["reason"]`` says why: its form
    (:func:`~nbtools.store.url.form_problem`, checked before SQLAlchemy reads it), its dialect
    or driver, or an option."""
    reason = form_problem(url)
    if reason is None:
        try:
            parsed = make_url(url)
            # PostgreSQL's connections are checked as they are taken (_configure_postgresql)
            ping = parsed.get_backend_name() != "postgresql"
            engine = create_engine(parsed, pool_pre_ping=ping)
        except (SQLAlchemyError, ImportError) as exc:
            reason = f"{exc}{misnamed_dialect(url)}"
        except ValueError:  # its text would show the part: a password's, if it holds an '@'
            reason = BAD_PART
        else:
            if engine.dialect.name == "sqlite":
                _configure_sqlite(engine)
            elif engine.dialect.name == "postgresql":
                _configure_postgresql(engine)
            return engine
    shown = without_login(url)
    raise StoreError(
        f"Cannot use the database URL {shown!r}: {reason}. Check the URL and that its driver "
        "is installed (e.g. psycopg for postgresql+psycopg://).",
        db_url=shown,
        reason=reason,
    )


def store_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the store cannot be used now (its server down or unreachable, a
    connection lost, its file out of reach), not a bug: a daemon logs it in one line
    (:func:`store_failure`) and tries again, keeping tracebacks for everything else."""
    from sqlalchemy.exc import OperationalError

    return isinstance(error, (OperationalError, StoreError))


def store_failure(error: BaseException) -> str:
    """A database error in one line (SQLAlchemy's own text spans several, with SQL)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")


class Store:
    """The opened, migrated database of a project."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @functools.cached_property
    def _sessions(self) -> sessionmaker[Session]:
        """The ORM's session factory, imported on the first :meth:`session` (a command that
        only uses :meth:`connection` does not import ``sqlalchemy.orm``)."""
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, lock_dir: Path | None = None, *, migrate_apart: bool = False) -> Store:
        """Open the store at ``url`` and bring its schema to the newest revision (with
        ``migrate_apart``, in a child process: :mod:`nbtools.store.migrations.apart`)."""
        engine = create_store_engine(url)
        try:
            with _migration_lock(engine, lock_dir):
                migrations.upgrade_to_head(engine, apart=migrate_apart)
        except NbtoolsError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            if lock_dir is not None and not os.access(lock_dir, os.W_OK):  # SQLite's journal
                denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(lock_dir))
                raise unusable(denied, lock_dir, "open", PROJECT_STORE) from exc
            shown = shown_url(engine.url)
            if engine.dialect.name != "sqlite" and store_unavailable(exc):
                raise StoreUnavailableError(
                    f"Cannot open the store {shown}: {store_failure(exc)}. Check that its "
                    "database server is running and reachable from this machine, then try again.",
                    db_url=shown,
                ) from exc
            raise StoreError(
                f"Cannot open the store {shown}: {store_failure(exc)}", db_url=shown
            ) from exc
        return cls(engine)

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error.

        ``write=True`` takes SQLite's write lock at the start of the transaction, which
        read-then-write sequences (claims, counters) need to avoid lock-upgrade failures.
        """
        with (
            self._connect(write) as connection,
            self._sessions(bind=connection) as session,
            session.begin(),
        ):
            if write:
                self._refuse_newer(_revisions(session.connection()))
            yield session

    @contextlib.contextmanager
    def connection(
        self, *, write: bool = False, snapshot: bool = False, removing: Collection[str] = ()
    ) -> Iterator[Connection]:
        """A SQLAlchemy Core connection in one transaction, as :meth:`session` (committed on
        success, rolled back on error, ``write=True`` taking SQLite's write lock first), for
        the tables declared in Core (``store.tables``, ``versioning.tables``, ``audit.tables``,
        ``envsnap.tables``). ``snapshot=True``: every query of the transaction sees the store
        as it was at its first one (``REPEATABLE READ`` on PostgreSQL, whose default lets each
        statement see what others committed meanwhile; a SQLite transaction always does), for
        reading many tables as one whole (copying the store).

        ``removing`` names tables the transaction removes many rows of (a write), whose
        referrers have no ``ON DELETE`` action: on SQLite, foreign keys are not enforced row by
        row (nor their actions run), and the tables whose keys refer to them are checked once
        before the commit (:mod:`nbtools.store.foreignkeys`), a row left without the row it
        refers to being a :class:`StoreError` with nothing written; so the referring columns
        need no index there. PostgreSQL enforces the keys as always."""
        with self._connect(write or bool(removing)) as connection:
            if snapshot and connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with (
                foreignkeys.unenforced(connection) if removing else contextlib.nullcontext(),
                connection.begin(),
            ):
                if write or removing:
                    self._refuse_newer(_revisions(connection))
                yield connection
                if removing and connection.in_transaction():  # not rolled back (a dry run)
                    _refuse_violations(connection, removing)

    def _refuse_newer(self, recorded: Iterable[str]) -> None:
        """Refuse a write to a store migrated by a newer jupyter-nbtools since it was opened."""
        migrations.refuse_unknown(self.engine, frozenset(recorded))

    @contextlib.contextmanager
    def _connect(self, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            if write:
                connection.execution_options(nbtools_write=True)
            yield connection

    def revision(self) -> str:
        """The schema revisions the database is at, separated by ", " (so that lines of a
        table or a panel break between them); refused when a newer jupyter-nbtools migrated
        it since it was opened."""
        recorded = migrations.recorded_revisions(self.engine)
        self._refuse_newer(recorded)
        return ", ".join(sorted(recorded))

    def table_names(self) -> list[str]:
        """Names of the tables present in the database."""
        return inspect(self.engine).get_table_names()

    def close(self) -> None:
        """Dispose of the connection pool."""
        self.engine.dispose()


def _refuse_violations(connection: Connection, removing: Collection[str]) -> None:
    """Refuse to commit removals from ``removing`` that left rows referring to nothing."""
    found = foreignkeys.violations(connection, removing)
    if found:
        tables = sorted({row[0] for row in found})
        raise StoreError(
            f"Removing rows of {', '.join(sorted(removing))} would leave {len(found)} rows of "
            f"{', '.join(tables)} referring to rows that no longer exist, so nothing was removed: "
            "this is a bug of jupyter-nbtools, please report it.",
            tables=tables,
            rows=len(found),
        )


#: What a write transaction reads first: the revisions the store records.
_REVISIONS = text("SELECT version_num FROM alembic_version")
#: Where a PostgreSQL connection keeps the revisions read as it was taken from the pool.
CHECKED_OUT_REVISIONS = "nbtools_revisions"


def _revisions(connection: Connection) -> Iterable[str]:
    """The revisions the store records as ``connection``'s transaction starts (see the
    module's docstring)."""
    if connection.dialect.name == "postgresql":
        revisions: frozenset[str] = connection.info[CHECKED_OUT_REVISIONS]
        return revisions
    return connection.execute(_REVISIONS).scalars()


#: Key of the PostgreSQL advisory lock that serialises migrations between servers.
MIGRATION_LOCK_KEY = 0x6E62746F6F6C73  # "nbtools"


@contextlib.contextmanager
def _migration_lock(engine: Engine, lock_dir: Path | None) -> Iterator[None]:
    """Serialise migrations between processes: an advisory lock on PostgreSQL (shared by
    every machine), a lock file in the local store directory otherwise."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        return
    if lock_dir is None:
        yield
        return
    made_store_dir(lock_dir)
    try:
        handle = (lock_dir / "migrate.lock").open("a", encoding="utf-8")
    except OSError as error:
        raise unusable(error, lock_dir, "lock", PROJECT_STORE) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: How :func:`~nbtools.store.failures.unusable` names the project's store.
PROJECT_STORE = "the project's store"


def made_store_dir(store_dir: Path) -> None:
    """Make the store directory ``store_dir`` if it is missing: a folder this user may not
    write in, a read-only disk or a file in the way is a :class:`StoreError` naming the
    folder and what to do (:func:`~nbtools.store.failures.unusable`), never a traceback."""
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable(error, store_dir, "make", PROJECT_STORE) from None
