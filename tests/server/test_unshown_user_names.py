"""A user name from the identity provider that names no one as written is never refused (that
would lock the user out), but recorded as it reads: without surrounding whitespace, with each
character that does not show escaped, and a blank one as ``unknown`` (someone logged in, but
no one is named), never as the server's own actor. Each was recorded as given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import IdentityProvider, User

from tests.server.conftest import server_config
from tests.server.test_identity import NOTEBOOK, as_user

API = ("nbtools", "api")
#: The X-Test-User header → the user name the provider gives (headers hold no line break).
NAMES = {"spaced": "  ana  ", "blank": " \t ", "lines": "ana\nroot", "escape": "\x1b[31mred"}


class TableUsers(IdentityProvider):
    """The user :data:`NAMES` gives for the ``X-Test-User`` header."""

    def get_user(self, handler: Any) -> User | None:
        name = NAMES.get(handler.request.headers.get("X-Test-User", ""))
        return None if name is None else User(username=name)


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(identity=TableUsers, NbtoolsSettings={"actor": "operator"})


@pytest.mark.parametrize(
    ("user", "recorded"),
    [
        ("spaced", "ana"),
        ("blank", "unknown"),
        ("lines", "ana\\u000aroot"),
        ("escape", "\\u001b[31mred"),
    ],
)
async def test_a_user_name_is_recorded_as_it_reads(
    jp_fetch: Any, jp_root_dir: Path, user: str, recorded: str
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    job = await as_user(jp_fetch, user, "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    assert job["created_by"] == recorded
    reply = await jp_fetch(*API, "audit", headers={"X-Test-User": user})
    assert [(e["actor"], e["action"]) for e in json.loads(reply.body)] == [(recorded, "job.create")]
