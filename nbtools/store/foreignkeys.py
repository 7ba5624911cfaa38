"""SQLite's foreign keys, unenforced for a transaction and checked whole before its commit.

With foreign keys enforced, removing a row makes SQLite look, in every table whose key refers
to that row's table, for rows that still refer to it: a read of the whole referring table when
its key has no index, once per row removed. A transaction removing many rows (a migration
rebuilding a table, ``nbtools version gc``) turns enforcement off instead (:func:`unenforced`)
and checks the referring tables once before it commits (:func:`violations`): one pass over
each, every referenced row found by its primary key. PostgreSQL enforces its keys as always.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Connection, text

#: The tables whose foreign keys refer to one of ``:names`` (SQLite).
_REFERRING = (
    "SELECT DISTINCT m.name FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS k "
    "WHERE m.type = 'table' AND k.\"table\" IN ({names}) ORDER BY m.name"
)


@contextlib.contextmanager
def unenforced(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys are not enforced on ``connection`` while the block runs; enter
    it before the transaction begins (SQLite ignores the pragma inside one). Any transaction
    still open when the block ends is rolled back, and enforcement is back on. Other databases:
    nothing changes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver: Any = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        connection.rollback()
        driver.execute("PRAGMA foreign_keys = ON")


def violations(connection: Connection, referred: Collection[str] | None = None) -> list[Any]:
    """SQLite's ``PRAGMA foreign_key_check`` rows (table, rowid, referred table, key number):
    rows whose key names a row that does not exist, in the tables referring to one of
    ``referred`` (every table when ``None``). Empty on other databases, which enforce keys."""
    if connection.dialect.name != "sqlite":
        return []
    if referred is None:
        return list(connection.exec_driver_sql("PRAGMA foreign_key_check").all())
    if not referred:
        return []
    names = ", ".join(f":name{n}" for n in range(len(referred)))
    parameters = {f"name{n}": name for n, name in enumerate(referred)}
    referring = connection.scalars(text(_REFERRING.format(names=names)), parameters).all()
    quote = connection.dialect.identifier_preparer.quote
    return [
        row
        for table in referring
        for row in connection.exec_driver_sql(f"PRAGMA foreign_key_check({quote(table)})")
    ]
