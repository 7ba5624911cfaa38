"""What a migration making a table's ids never reused on SQLite (``jobs_0002``,
``metrics_0006``) does: rebuild the table with ``AUTOINCREMENT``.

A plain ``INTEGER PRIMARY KEY`` takes the largest id plus one, so once the newest job was
purged the next job got its id, and a stale tab's ``DELETE /jobs/16`` or the audit trail's
``job 16`` meant another job. ``AUTOINCREMENT`` keeps the largest id ever used
(``sqlite_sequence``), which the rebuild sets from the rows copied. PostgreSQL's sequences
never reuse a value: there the migration changes nothing."""

from __future__ import annotations

from alembic import op


def rebuild(*tables: str, autoincrement: bool = True) -> None:
    """Rebuild each of ``tables`` (SQLite only) with ``AUTOINCREMENT``, or without it to
    downgrade. Foreign keys are off while migrations run (``env.py``), so the rows that refer
    to a rebuilt table are kept as they are."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        options = {"sqlite_autoincrement": autoincrement}
        with op.batch_alter_table(table, recreate="always", table_kwargs=options):
            pass
