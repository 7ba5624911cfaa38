"""Alembic environment: runs migrations on the engine handed over by nbtools.

On SQLite, foreign keys are off while migrations run: ``batch_alter_table`` rebuilds a
table by dropping it, and dropping a table with foreign keys on would apply the ON DELETE
actions of the tables that reference it. The keys are checked before the commit instead
(:mod:`nbtools.store.foreignkeys`).
"""

from __future__ import annotations

from alembic import context

from nbtools.store import foreignkeys
from nbtools.store.base import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection, foreignkeys.unenforced(connection):
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if bad := foreignkeys.violations(connection):
            raise RuntimeError(f"Migrations left rows without their referenced row: {bad}")
    connection.commit()
