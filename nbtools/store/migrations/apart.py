"""A store's migration run in a process of its own, for a process that lives long.

Migrating imports Alembic, its templates (Mako) and, through them, Pygments, and executes
every migration module: ≈ 18 MiB that stay in the process that did it (measured: a new SQLite
store opened in a process that had imported SQLAlchemy, PSS 32.7 → 50.6 MiB; an existing
store at the newest revision, 32.6 → 33.6). A command ends and gives it back; a Jupyter server
or a scheduler daemon would carry it until it stops, so they migrate in a child,
``python -m nbtools.store.migrations.apart``, which reads the store's URL on its standard input
(never on its command line, where ``ps`` shows a password) and exits 0 once the store is at
the newest revision, or 1 with the failure's message as its last line of standard error. The
caller holds the migration lock meanwhile and does the rest (refusing a newer store, copying a
SQLite file first): :func:`nbtools.store.migrations.upgrade_to_head`.
"""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine

from nbtools.errors import StoreError
from nbtools.processes import own_module_command
from nbtools.store import shown_url


def in_memory(engine: Engine) -> bool:
    """A SQLite database in this process's memory, which no other process can reach."""
    database = engine.url.database
    return engine.dialect.name == "sqlite" and database in (None, "", ":memory:")


def upgrade_apart(engine: Engine) -> None:
    """Migrate the store of ``engine`` to the newest revision in a child process; a failure
    is a :class:`StoreError` naming the store and saying why, as the child said it."""
    url = engine.url.render_as_string(hide_password=False)
    shown = shown_url(engine.url)
    try:
        done = subprocess.run(
            own_module_command(__name__),
            input=url.encode(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    except OSError as error:  # no interpreter to start, no process left (a limit)
        raise StoreError(
            f"Cannot migrate the store {shown}: its migration process could not start "
            f"({error.strerror or error}). Run any nbtools command on this project once (it "
            "migrates in its own process), then start this one again."
        ) from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        why = said[-1] if said else f"its process exited with code {done.returncode}"
        raise StoreError(f"Cannot migrate the store {shown}: {why}")


def main() -> None:
    """The child: migrate the store whose URL is on standard input."""
    from sqlalchemy.exc import SQLAlchemyError

    from nbtools.store.database import create_store_engine, store_failure
    from nbtools.store.migrations import upgrade

    engine = create_store_engine(sys.stdin.read().strip())
    try:
        upgrade(engine)
    except Exception as error:  # said in one line, for the parent's error
        said = store_failure(error) if isinstance(error, SQLAlchemyError) else str(error)
        print(" ".join(said.split()), file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
