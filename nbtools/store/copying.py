"""Copying a store's rows into another database of the same schema: every table given, parents
before children, each row with its own key, in SQLAlchemy Core over the tables' declarations
alone (no code of any one table), so that a table added to the store is copied as it comes.

The caller gives both transactions (a snapshot of the source, one write transaction of the
target: :mod:`nbtools.storecopy`), so the target gets the whole copy or nothing.

- Rows are read :data:`BATCH_ROWS` at a time, in the order of their primary key, and each
  batch is written in that order by one statement: a ``COPY … FROM STDIN`` into PostgreSQL
  (psycopg sends an ``executemany`` as an ``INSERT`` executed per row: 100,000 rows took
  twice as long), an ``executemany`` into SQLite (its statement run per row in C; a
  multi-row ``INSERT … VALUES`` was no faster, and slower through psycopg). Memory stays
  bounded whatever the store's size.
- A column that refers to its own table (a version object's delta ``base``) is written in a
  second pass, once every row of the table is there: the referenced row may come later in
  key order.
- A timestamp column with a time zone is read from SQLite without it (SQLite keeps none; the
  store writes every moment in UTC): it is written as the UTC moment it is, where a naive
  value would be read in the target server's own time zone.
- PostgreSQL's sequences are set past the largest id copied (:func:`reset_sequences`), so the
  next row inserted gets a new id; SQLite takes the largest id + 1 by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timezone
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Table, bindparam, func, insert, select, update

#: Rows read and inserted at a time.
BATCH_ROWS = 1000

#: Told the rows copied so far and the rows to copy in all, after each batch.
Progress = Callable[[int, int], None]


def row_counts(connection: Connection, tables: Sequence[Table]) -> dict[str, int]:
    """The number of rows of each table, by name, in the order given."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables
    }


def copy_rows(
    source: Connection,
    target: Connection,
    tables: Sequence[Table],
    progress: Progress,
    *,
    batch_rows: int = BATCH_ROWS,
) -> dict[str, int]:
    """Insert every row of ``tables`` (parents first: ``MetaData.sorted_tables``) read from
    ``source`` into ``target``, ``batch_rows`` at a time; the rows copied of each table, by
    name."""
    counts = row_counts(source, tables)
    total, done = sum(counts.values()), 0
    progress(done, total)
    for table in tables:
        for copied in _copy_table(source, target, table, batch_rows):
            done += copied
            progress(done, total)
    return counts


def _copy_table(
    source: Connection, target: Connection, table: Table, batch_rows: int
) -> Iterator[int]:
    """Copy ``table`` a batch at a time, yielding each batch's number of rows."""
    later = [
        fk.parent
        for fk in table.foreign_keys
        if fk.column.table is table and fk.parent.nullable and not fk.parent.primary_key
    ]
    names = [column.key for column in table.columns]
    zoned = [c.key for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    keys = list(table.primary_key.columns)
    deferred: list[dict[str, Any]] = []
    query = select(table).order_by(*keys)
    result = source.execute(query, execution_options={"yield_per": batch_rows})
    for rows in result.partitions():
        batch = [dict(zip(names, row, strict=True)) for row in rows]  # select's column order
        for values in batch:
            for key in zoned:
                moment = values[key]
                if moment is not None and moment.tzinfo is None:
                    values[key] = moment.replace(tzinfo=timezone.utc)
            if any(values[column.key] is not None for column in later):
                deferred.append(_deferred(values, keys, later))
                values.update((column.key, None) for column in later)
        _insert(target, table, batch)
        yield len(batch)
    if deferred:
        target.execute(
            update(table)
            .where(*(column == bindparam(f"key_{column.key}") for column in keys))
            .values({column.key: bindparam(f"new_{column.key}") for column in later}),
            deferred,
        )


def _insert(target: Connection, table: Table, batch: list[dict[str, Any]]) -> None:
    """Insert ``batch``, in its order: on PostgreSQL through psycopg with one ``COPY … FROM
    STDIN`` (an ``executemany`` runs a statement per row there), each value bound as its
    column's type binds it; elsewhere with one ``executemany`` (SQLite's runs the statement's
    compiled program per row, in C)."""
    if target.dialect.driver != "psycopg":
        target.execute(insert(table), batch)
        return
    dialect = target.dialect
    columns = list(table.columns)
    binds = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(column.name) for column in columns)
    into = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    import psycopg  # the driver of the dialect (only a copy into PostgreSQL imports it)

    raw = target.connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection), "the psycopg dialect uses psycopg"
    with raw.cursor() as cursor, cursor.copy(into) as copy:
        for values in batch:
            row = [values[column.key] for column in columns]
            # every value bound as SQLAlchemy binds it, None too (a JSON column's is JSON null)
            copy.write_row(
                [v if bind is None else bind(v) for bind, v in zip(binds, row, strict=True)]
            )


def _deferred(
    values: dict[str, Any], keys: list[Column[Any]], later: list[Column[Any]]
) -> dict[str, Any]:
    """The parameters of the second pass's update of one row: its key, its references."""
    return {
        **{f"key_{column.key}": values[column.key] for column in keys},
        **{f"new_{column.key}": values[column.key] for column in later},
    }


def reset_sequences(connection: Connection, tables: Sequence[Table]) -> None:
    """On PostgreSQL, set the sequence of each table's generated id past its largest id (to 1,
    not yet used, for an empty table), as inserting rows with their ids leaves it unmoved."""
    if connection.dialect.name != "postgresql":
        return  # SQLite gives a new row the largest id + 1 (no table uses AUTOINCREMENT)
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        largest = select(func.max(column)).scalar_subquery()
        sequence = func.pg_get_serial_sequence(preparer.format_table(table), column.name)
        connection.execute(
            select(func.setval(sequence, func.coalesce(largest, 1), largest.is_not(None)))
        )
