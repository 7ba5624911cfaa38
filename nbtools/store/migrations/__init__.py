"""Alembic migrations, applied automatically when a store is opened."""

from __future__ import annotations

import ast
import functools
import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from nbtools.errors import StoreError, StoreTooNewError
from nbtools.store import shown_url

SCRIPT_LOCATION = Path(__file__).parent


def _config(engine: Engine | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revisions() -> tuple[str, ...]:
    """The newest revision(s) the code knows."""
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(_config()).get_heads())


@functools.cache
def _revision_graph() -> tuple[frozenset[str], frozenset[str]]:
    """Every revision the code knows, and the heads among them (a head is a revision no other
    revision names as its parent), read from the migration files' assignments.

    Every opening of a store asks this, so it does not use Alembic's own
    ``ScriptDirectory.get_heads()``: measured on the 2-core machine (2026-12-02, five fresh
    interpreters with SQLAlchemy already imported), the files' syntax trees cost 8-14 ms of CPU
    and Alembic's API 257-303 ms (importing Alembic and executing every migration module), a
    quarter of a second added to every command that opens the store. Only each file's header
    is parsed (its text before the first ``def``: docstring, imports, the revision
    identifiers): ≈ 1 ms for all of them against 8-12 ms for whole files (2026-12-03, loaded
    machine). Alembic itself still performs every upgrade, and
    ``test_fast_head_check_agrees_with_alembic`` keeps the two in agreement.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (SCRIPT_LOCATION / "versions").glob("*.py"):
        assignments = {
            node.targets[0].id: ast.literal_eval(node.value)
            for node in ast.parse(_header(script.read_text(encoding="utf-8"))).body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in {"revision", "down_revision"}
        }
        revisions.add(assignments["revision"])
        down = assignments.get("down_revision")
        parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions), frozenset(revisions - parents)


def _header(source: str) -> str:
    """A migration module's text before its first top-level function."""
    start = source.find("\ndef ")
    return source if start < 0 else source[: start + 1]


def known_heads() -> frozenset[str]:
    """The head revisions of the code's migrations."""
    return _revision_graph()[1]


def known_revisions() -> frozenset[str]:
    """Every revision of the code's migrations."""
    return _revision_graph()[0]


def recorded_revisions(engine: Engine) -> frozenset[str]:
    """The ``alembic_version`` rows, read with one query (empty for a new database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revision(s) recorded in the database; empty for a new database.

    Feature areas may keep their own migration branches (one head each), so a database can
    be at several heads at once.
    """
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(_config(engine), revision)


def upgrade_to_head(engine: Engine, *, apart: bool = False) -> None:
    """Migrate to the newest revision, skipping Alembic entirely when already there; with
    ``apart``, Alembic runs in a child process (:mod:`.apart`: a process that lives long keeps
    none of it), unless the database is in this process's memory.

    A database at a revision this code does not know was written by a newer jupyter-nbtools:
    it is refused (:class:`StoreTooNewError`) and left untouched. A SQLite database that needs
    migrating is copied beside itself first (:func:`backup_sqlite`).
    """
    recorded = recorded_revisions(engine)
    if recorded == known_heads():
        return
    refuse_unknown(engine, recorded)
    if recorded:
        backup_sqlite(engine, recorded)
    from nbtools.store.migrations.apart import in_memory, upgrade_apart

    if apart and not in_memory(engine):
        upgrade_apart(engine)
    else:
        upgrade(engine)


def refuse_unknown(engine: Engine, recorded: frozenset[str]) -> None:
    """Refuse a store whose ``recorded`` revisions include one this code does not know: a
    newer jupyter-nbtools migrated it (:class:`StoreTooNewError`)."""
    unknown = recorded - known_revisions()
    if unknown:
        raise StoreTooNewError(
            f"This store ({shown_url(engine.url)}) was written by a "
            f"newer version of jupyter-nbtools (revision {', '.join(sorted(unknown))}); upgrade "
            "jupyter-nbtools to use it.",
            revisions=sorted(unknown),
        )


def backup_sqlite(engine: Engine, recorded: frozenset[str]) -> Path | None:
    """Copy a SQLite database file to ``NAME.before-REVISIONS`` beside it (SQLite's online
    backup, consistent with a WAL journal), before a migration; None for other databases.

    The copy is made under a temporary name (``….partial``) and takes its name once whole, so
    a file of that name is always a whole copy; a copy that fails (a full disk) is removed,
    the store left as it was (:class:`StoreError`, in one line)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    target = Path(f"{database}.before-{'+'.join(sorted(recorded))}")
    partial = target.with_name(target.name + ".partial")
    try:
        with engine.connect() as connection:
            source = connection.connection.dbapi_connection
            assert isinstance(source, sqlite3.Connection), "the sqlite dialect uses sqlite3"
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"Cannot copy the store {database} to {target} before migrating it: {error}. "
            "Free some space on its disk (or make its folder writable), then try again; the "
            "store was not changed.",
            path=str(target),
        ) from None
    return target
