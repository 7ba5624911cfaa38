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


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(_config(engine), revision)


def upgrade_to_head(engine: Engine) -> None:
    """Migrate to the newest revision, skipping Alembic entirely when already there."""
    if current_revision(engine) in head_revisions():
        return
    upgrade(engine)
