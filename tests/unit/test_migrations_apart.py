"""A process that lives long (the Jupyter server, ``nbtools scheduler``) migrates its store in a
child process, so that Alembic, Mako and Pygments (≈ 18 MiB) never stay in it: the store ends
at the newest revision all the same, on SQLite and PostgreSQL, and a failed migration is a
StoreError saying why."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtools.errors import StoreError
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import Store

#: Opens the store at argv[1] (apart when argv[2] is "apart") and says what it imported.
OPENS = """\
import json, sys
from nbtools.store.database import Store
store = Store.open(sys.argv[1], migrate_apart=sys.argv[2] == "apart")
print(json.dumps({"revision": store.revision(),
                  "loaded": [m for m in ("alembic", "mako", "pygments") if m in sys.modules]}))
"""


def opened(url: str, how: str) -> dict[str, Any]:
    """What a new interpreter opening the store at ``url`` (``how``: "apart" or "here")
    reports."""
    done = subprocess.run(
        [sys.executable, "-c", OPENS, url, how], capture_output=True, text=True, check=True
    )
    reported: dict[str, Any] = json.loads(done.stdout)
    return reported


def test_a_store_migrated_apart_leaves_no_alembic_in_the_process(db_url: str) -> None:
    reported = opened(db_url, "apart")
    assert reported["loaded"] == []
    assert set(reported["revision"].split(", ")) == migrations.known_heads()
    again = opened(db_url, "here")  # at the newest revision already: no migration either way
    assert (again["loaded"], again["revision"]) == ([], reported["revision"])


def test_a_store_migrated_in_the_process_keeps_alembic(tmp_path: Path) -> None:
    """What migrating apart spares: a command, which ends, migrates in its own process."""
    reported = opened(f"sqlite:///{tmp_path / 'store.db'}", "here")
    assert reported["loaded"] == ["alembic", "mako", "pygments"]


def test_a_failed_migration_apart_is_a_store_error_saying_why(tmp_path: Path) -> None:
    """A database holding a table the first migration makes: the child's error, in one line,
    and nothing recorded as migrated."""
    database = tmp_path / "store.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
    with pytest.raises(StoreError) as refused:
        Store.open(f"sqlite:///{database}", migrate_apart=True)
    message = refused.value.message
    assert message.startswith(f"Cannot migrate the store sqlite:///{database}: ")
    assert "table jobs already exists" in message
    assert "\n" not in message
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" not in tables


def test_a_migration_process_that_cannot_start_is_a_store_error_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No interpreter at ``sys.executable`` (a moved virtual environment): a StoreError, not
    an OSError's traceback in the server, and the store left unmigrated."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "gone/python"))
    database = tmp_path / "store.db"
    with pytest.raises(StoreError) as refused:
        Store.open(f"sqlite:///{database}", migrate_apart=True)
    assert refused.value.message.startswith(
        f"Cannot migrate the store sqlite:///{database}: its migration process could not start"
    )
    assert "Run any nbtools command on this project once" in refused.value.message
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" not in tables


def test_an_in_memory_store_is_migrated_in_the_process() -> None:
    """No other process can reach this process's memory."""
    store = Store.open("sqlite://", migrate_apart=True)
    assert set(store.revision().split(", ")) == migrations.known_heads()


def test_a_projects_store_is_migrated_apart_when_its_process_lives_long(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.migrates_apart = True
    assert set(project.store.revision().split(", ")) == migrations.known_heads()
    assert (tmp_path / ".nbtools/nbtools.db").is_file()
