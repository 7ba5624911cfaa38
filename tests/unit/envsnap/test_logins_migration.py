"""Snapshots stored with logins (before session 29) lose them in the table itself when the
store is upgraded (migration ``logins_0001``), not only when read; the downgrade leaves them
masked. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from alembic import command
from sqlalchemy import insert, select

from nbtools.envsnap import get_snapshot
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.tables import env_snapshots
from nbtools.project import Project
from nbtools.store import migrations

SECRET = "bot:s3cr3t-tok"


def _store_old_snapshot(project: Project) -> str:
    """A snapshot row as written before logins were dropped: a direct URL with a login, one
    with git's user, which is no secret; a second row, with none, keeps its text."""
    dists = (Distribution("a", "1.0"), Distribution("g", "2.0"))
    snapshot = Snapshot("requirements", "old.txt", dists)
    document: dict[str, Any] = snapshot.to_dict()
    document["distributions"][0]["direct_url"] = {
        "url": f"https://{SECRET}@pkgs.example/simple/a/a-1.0-py3-none-any.whl",
        "archive_info": {},
    }
    document["distributions"][1]["direct_url"] = {
        "url": "ssh://git@github.com/o/g",
        "vcs_info": {"vcs": "git", "commit_id": "be5"},
    }
    clean = Snapshot("requirements", "new.txt", (Distribution("b", "2.0"),))
    with project.store.connection(write=True) as connection:
        for stored, written in (
            (snapshot, json.dumps(document)),
            (clean, json.dumps(clean.to_dict())),
        ):
            connection.execute(
                insert(env_snapshots).values(
                    id=stored.id,
                    source="requirements",
                    origin=stored.origin,
                    distribution_count=1,
                    created_at=stored.created_at,
                    captured_at=stored.created_at,
                    document=written,
                )
            )
    return snapshot.id


def _documents(project: Project) -> dict[str, str]:
    with project.store.connection() as connection:
        rows = connection.execute(select(env_snapshots.c.id, env_snapshots.c.document))
        return {row.id: row.document for row in rows}


def test_an_old_snapshots_logins_are_scrubbed_in_the_table(any_project: Project) -> None:
    engine = any_project.store.engine
    command.downgrade(migrations._config(engine), "logins@-1")
    old = _store_old_snapshot(any_project)
    before = _documents(any_project)
    assert SECRET in before[old]

    migrations.upgrade(engine)
    after = _documents(any_project)
    assert SECRET not in after[old]
    document = json.loads(after[old])
    urls = [dist["direct_url"]["url"] for dist in document["distributions"]]
    assert urls == [
        "https://pkgs.example/simple/a/a-1.0-py3-none-any.whl",
        "ssh://git@github.com/o/g",
    ]
    assert {key: text for key, text in after.items() if key != old} == {
        key: text for key, text in before.items() if key != old
    }
    assert get_snapshot(any_project, old).id == old  # the runs' reference still holds

    command.downgrade(migrations._config(engine), "logins@-1")
    assert _documents(any_project) == after  # the logins are gone for good
