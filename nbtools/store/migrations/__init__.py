"""Alembic migrations, applied automatically when a store is opened."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

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
    if set(current_revisions(engine)) == set(head_revisions()):
        return
    upgrade(engine)
