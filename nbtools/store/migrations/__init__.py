"""Alembic migrations, applied automatically when a store is opened."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from sqlalchemy import Engine, inspect, text

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
def known_heads() -> frozenset[str]:
    """The head revisions, read from the migration files' assignments without importing
    Alembic (which costs ~0.2 s): a head is a revision no other revision names as its parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (SCRIPT_LOCATION / "versions").glob("*.py"):
        assignments = {
            node.targets[0].id: ast.literal_eval(node.value)
            for node in ast.parse(script.read_text()).body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in {"revision", "down_revision"}
        }
        revisions.add(assignments["revision"])
        down = assignments.get("down_revision")
        parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions - parents)


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


def upgrade_to_head(engine: Engine) -> None:
    """Migrate to the newest revision, skipping Alembic entirely when already there."""
    if recorded_revisions(engine) == known_heads():
        return
    upgrade(engine)
