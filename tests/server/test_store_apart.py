"""The Jupyter server lives long: its store is migrated in a child process
(:mod:`nbtools.store.migrations.apart`), so that Alembic's ≈ 18 MiB never stay in it."""

from __future__ import annotations

import json
from typing import Any

from nbtools.store import migrations


async def test_the_server_migrates_its_new_store_apart(jp_fetch: Any, jp_serverapp: Any) -> None:
    project = jp_serverapp.web_app.settings["nbtools_project"]
    assert project.migrates_apart
    body = json.loads((await jp_fetch("nbtools", "api", "status")).body)
    assert set(body["schema_revision"].split(", ")) == migrations.known_heads()
