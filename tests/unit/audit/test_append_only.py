"""The audit trail is append-only in the database itself: plain SQL can neither change nor
remove an entry, on SQLite and PostgreSQL alike, in a new store and in one migrated to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from nbtools import audit
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import create_store_engine

#: Statements that would rewrite entry 1 or wipe the trail, each refused ("append-only").
REWRITES = {
    "sqlite": (
        "UPDATE audit SET actor = 'mallory'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE id = 1",
        # REPLACE deletes the entry it replaces without firing DELETE triggers
        "INSERT OR REPLACE INTO audit (id, at, actor, action, target, summary) "
        "SELECT id, at, 'mallory', action, target, '{}' FROM audit WHERE id = 1",
        "REPLACE INTO audit (id, at, actor, action, target, summary) "
        "VALUES (1, '2026-01-01 00:00:00', 'mallory', 'job.edit', 'job 1', '{}')",
        "INSERT INTO audit (id, at, actor, action, target, summary) "
        "VALUES (1, '2026-01-01 00:00:00', 'mallory', 'job.edit', 'job 1', '{}') "
        "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
    ),
    "postgresql": (
        "UPDATE audit SET actor = 'mallory'",
        "DELETE FROM audit",
        "TRUNCATE audit",  # fires no row trigger
        "TRUNCATE TABLE ONLY audit RESTART IDENTITY",
        "INSERT INTO audit (id, at, actor, action, target, summary) "
        "VALUES (1, now(), 'mallory', 'job.edit', 'job 1', '{}') "
        "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
    ),
}

#: The rewrite the first triggers let through, and the actors the trail then held.
HOLES = {
    "sqlite": (REWRITES["sqlite"][3], ["mallory", "bob"]),
    "postgresql": ("TRUNCATE audit", []),
}


def entries(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as connection:
        query = text("SELECT id, actor, action FROM audit ORDER BY id")
        return [(row.id, row.actor, row.action) for row in connection.execute(query)]


def refuses_every_rewrite(engine: Engine) -> None:
    for statement in REWRITES[engine.dialect.name]:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))


def test_the_trail_refuses_every_rewrite(any_project: Project) -> None:
    audit.record_now(any_project.store, "ana", "job.create", "job 1", {"name": "x"})
    audit.record_now(any_project.store, "bob", "job.edit", "job 1", {})
    refuses_every_rewrite(any_project.store.engine)
    assert [(e.id, e.actor) for e in audit.list_entries(any_project)] == [(2, "bob"), (1, "ana")]
    audit.record_now(any_project.store, "cy", "job.pause", "job 1", {})  # appending still works
    assert [e.actor for e in audit.list_entries(any_project)] == ["cy", "bob", "ana"]


def test_a_store_made_before_the_guards_gets_them_and_keeps_its_entries(
    db_url: str, tmp_path: Path
) -> None:
    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "audit_0001")  # a store made before the guards
    assert "audit_0001" in migrations.current_revisions(engine)
    with engine.begin() as connection:
        for actor in ("ana", "bob"):
            audit.record(connection, actor, "job.create", "job 1", {})
    # There, a rewrite got through (rolled back: PostgreSQL's TRUNCATE is transactional).
    hole, left = HOLES[engine.dialect.name]
    with engine.connect() as connection:
        connection.execute(text(hole))
        assert (
            list(connection.execute(text("SELECT actor FROM audit ORDER BY id")).scalars()) == left
        )
        connection.rollback()
    assert entries(engine) == [(1, "ana", "job.create"), (2, "bob", "job.create")]
    engine.dispose()

    project = Project(tmp_path, db_url=db_url)  # opening the store migrates it
    try:
        assert "audit_0002" in migrations.current_revisions(project.store.engine)
        refuses_every_rewrite(project.store.engine)
        assert entries(project.store.engine) == [(1, "ana", "job.create"), (2, "bob", "job.create")]
    finally:
        project.close()


def test_the_guards_come_off_with_their_migration(db_url: str) -> None:
    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "audit_0001")
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            triggers = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit'::regclass"
        else:
            triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        names = set(connection.execute(text(triggers)).scalars())
    assert not names & {"audit_no_replace", "audit_no_truncate"}
    assert names >= ({"audit_append_only"} if engine.dialect.name == "postgresql" else {
        "audit_no_update", "audit_no_delete"
    })  # fmt: skip
    migrations.upgrade(engine)
    with engine.begin() as connection:
        audit.record(connection, "ana", "job.create", "job 1", {})
    refuses_every_rewrite(engine)
    assert entries(engine) == [(1, "ana", "job.create")]
    engine.dispose()
