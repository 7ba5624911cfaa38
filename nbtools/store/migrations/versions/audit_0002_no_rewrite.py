"""The audit trail refuses the rewrites its first triggers let through: on SQLite an
``INSERT OR REPLACE`` (``REPLACE INTO``) of an existing entry's id, which deletes the entry
without firing DELETE triggers; on PostgreSQL a ``TRUNCATE``, which fires no row trigger.

Revision ID: audit_0002
Revises: audit_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

#: An insert of an id the trail holds already: only a REPLACE gets that far (a plain INSERT
#: would fail on the primary key), and it would delete the entry. An id SQLite assigns itself
#: is -1 here, never an entry's.
SQLITE_GUARD = (
    "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit "
    "WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
)
#: ``audit_append_only()`` (``audit_0001``) raises whatever fires it, a statement as well.
POSTGRES_GUARD = (
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(POSTGRES_GUARD if postgres else SQLITE_GUARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_no_truncate ON audit")
    else:
        op.execute("DROP TRIGGER audit_no_replace")
