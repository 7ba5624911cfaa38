"""The audit trail: who created, changed, ran or was refused what, appended and never changed.

::

    from nbtools import audit

    audit.record(session, "ana", "dataset.add", "dataset customers", {"classification": "personal"})
    audit.list_entries(project, since=..., actor="ana", action="dataset.add")  # newest first

The actor is the authenticated user on the server, else ``$NBTOOLS_ACTOR`` (CI service
accounts), else the operating-system user (:func:`current_actor`). A summary names what
changed, never secret values or data contents.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nbtools.audit.tables import AuditRecord
from nbtools.errors import InvalidInputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.project import Project

ACTOR_ENV = "NBTOOLS_ACTOR"
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "summary": self.summary,
        }


def current_actor(actor: str | None = None) -> str:
    """``actor`` if given, else ``$NBTOOLS_ACTOR``, else the operating-system user."""
    if actor:
        return actor[:255]
    try:
        return (os.environ.get(ACTOR_ENV) or getpass.getuser())[:255]
    except (OSError, KeyError):  # no user name for this uid (some containers)
        return f"uid {os.getuid()}"


def record(
    session: Session, actor: str | None, action: str, target: str, summary: dict[str, Any]
) -> None:
    """Append an entry in ``session``'s transaction (it stands or falls with the change)."""
    session.add(
        AuditRecord(
            actor=current_actor(actor), action=action, target=target[:1024], summary=summary
        )
    )


def record_now(
    project: Project, actor: str | None, action: str, target: str, summary: dict[str, Any]
) -> None:
    """Append an entry in its own transaction (e.g. a refusal, whose action is not stored)."""
    with project.store.session(write=True) as session:
        record(session, actor, action, target, summary)


def list_entries(
    project: Project,
    *,
    since: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first; ``action`` may end with ``.*`` (``job.*``)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"The limit must be 1 to {MAX_LIMIT}.", field="limit")
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if since is not None:
        query = query.where(AuditRecord.at >= since)
    if actor:
        query = query.where(AuditRecord.actor == actor)
    if action:
        if action.endswith(".*"):
            query = query.where(AuditRecord.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditRecord.action == action)
    with project.store.session() as session:
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.summary))
            for r in session.scalars(query)
        ]
