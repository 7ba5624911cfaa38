"""A user whom the identity provider names at greater length than the store keeps is not
locked out: what they do is recorded under the long form of their name, under which the
audit trail also finds it by the full name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import IdentityProvider, User

from nbtools import audit
from nbtools.metrics.tables import Alert
from nbtools.project import Project
from tests.server.conftest import server_config
from tests.server.test_identity import NOTEBOOK, as_user

API = ("nbtools", "api")
LONG = "svc-" + "a" * 296  # 300 characters: a proxy's header, a federated id


class AnyHeaderUser(IdentityProvider):
    """Whoever the ``X-Test-User`` header names."""

    def get_user(self, handler: Any) -> User | None:
        name = handler.request.headers.get("X-Test-User")
        return User(username=name) if name else None


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(identity=AnyHeaderUser)


async def test_a_long_user_name_acts_under_its_long_form(
    jp_fetch: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    stored = audit.stored_actor(LONG)
    assert len(stored) == 255
    assert stored != LONG[:255]
    job = await as_user(jp_fetch, LONG, "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    assert job["created_by"] == stored
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    with project.store.session(write=True) as session:
        session.add(Alert(id=1, job_id=job["id"], kind="failed", rule_text="failed", message="m",
                          dedupe_key="k"))  # fmt: skip
    acknowledged = await as_user(jp_fetch, LONG, "POST", *API, "alerts", "1", "ack", body={})
    assert acknowledged["acknowledged_by"] == stored

    async def entries_of(actor: str) -> list[tuple[str, str]]:
        headers = {"X-Test-User": LONG}
        reply = await jp_fetch(*API, "audit", params={"actor": actor}, headers=headers)
        return [(e["actor"], e["action"]) for e in json.loads(reply.body)]

    for name in (LONG, stored):  # the full name, or the form the entries show
        assert await entries_of(name) == [(stored, "alert.ack"), (stored, "job.create")]
    assert await entries_of(LONG[:255]) == []  # not the name cut short
