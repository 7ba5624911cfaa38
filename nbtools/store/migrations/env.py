"""Alembic environment: runs migrations on the engine handed over by nbtools.

On SQLite, foreign keys are off while migrations run: ``batch_alter_table`` rebuilds a
table by dropping it, and dropping a table with foreign keys on would apply the ON DELETE
actions of the tables that reference it. The keys are checked before the commit instead.
"""

from __future__ import annotations

from alembic import context

from nbtools.store.base import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside a transaction, where SQLite honours the pragma
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (bad := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"Migrations left rows without their referenced row: {bad}")
        connection.commit()
    finally:
        if sqlite:
            connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
