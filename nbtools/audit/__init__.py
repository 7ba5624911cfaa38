"""The audit trail: who created, changed, ran or was refused what, appended and never changed.

::

    from nbtools import audit

    audit.record(session, "ana", "dataset.add", "dataset customers", {"classification": "personal"})
    audit.list_entries(project, since=..., actor="ana", action="dataset.*")  # newest first
    audit.ACTIONS  # every action an entry may have (``dataset.add``, ...)
    audit.parse_since("7d")  # a moment from a duration ago or an ISO date
    audit.entries_csv(entries)  # CSV for a spreadsheet, formulas neutralised (audit.csvfile)

The actor is the authenticated user on the server, the CLI's ``--actor``, else
``$NBTOOLS_ACTOR`` (CI service accounts), else ``$JUPYTERHUB_USER``, else the operating-system
account the process runs as, never ``$LOGNAME`` or ``$USER`` (:func:`current_actor`). A summary
names what changed, never secret values or data contents.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from nbtools.audit.actions import ACTIONS, checked_filter
from nbtools.audit.csvfile import entries_csv as entries_csv
from nbtools.audit.tables import MAX_TARGET, audit_entries
from nbtools.config import ACTOR_VARIABLE, MAX_ACTOR, actor_problem, is_unseen
from nbtools.errors import InvalidInputError
from nbtools.ids import check_limit

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.project import Project
    from nbtools.store.database import Store

MAX_LIMIT = 10_000

_AGO = re.compile(r"([1-9][0-9]{0,5})([hdw])\Z")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
#: Hex digits of a long actor's digest in its stored form (:func:`stored_actor`).
_DIGEST = 16


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
    """Who acts: ``actor`` if given (the server's authenticated user, the CLI's ``--actor``),
    else ``$NBTOOLS_ACTOR``, else ``$JUPYTERHUB_USER``, else the operating-system user; as
    the store keeps it (:func:`stored_actor`)."""
    if actor:
        return stored_actor(actor)
    variable = os.environ.get(ACTOR_VARIABLE)
    problem = actor_problem(variable) if variable else None
    if problem is not None:  # the CLI refuses it as it reads its settings; this, a library's use
        raise InvalidInputError(
            f"${ACTOR_VARIABLE}={variable!r} is not an actor: {problem}.", field=ACTOR_VARIABLE
        )
    named = variable or os.environ.get("JUPYTERHUB_USER")
    return stored_actor(named or _os_user())


def _os_user() -> str:
    """The operating-system account this process runs as: its user id's name in the password
    database (``uid N`` without one: some containers), never ``$LOGNAME``/``$USER``, which
    any shell sets to any name (:func:`getpass.getuser` reads them first)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def provided_actor(name: str) -> str:
    """A user name from the server's identity provider as the trail records it, never
    refused (that would lock the user out): without its surrounding whitespace, and each
    character that does not show (:func:`~nbtools.config.is_unseen`) written as its escape,
    ``ana\\u000aroot`` for a line break; ``""`` when nothing is left (the request then names
    no one)."""
    return "".join(_escaped(char) for char in name.strip())


def _escaped(char: str) -> str:
    if not is_unseen(char):
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def stored_actor(name: str) -> str:
    """``name`` as the store keeps it: as it is up to :data:`~nbtools.config.MAX_ACTOR`
    characters; a longer one (a user an identity provider names at length, whom refusing
    would lock out) as its first characters, ``~`` and 16 hex digits of its SHA-256, which
    fill the column exactly and tell two long names with the same beginning apart. The
    options that set an actor refuse a longer name instead (``--actor``)."""
    if len(name) <= MAX_ACTOR:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]
    return f"{name[: MAX_ACTOR - _DIGEST - 1]}~{digest}"


def record(
    session: Session | Connection,
    actor: str | None,
    action: str,
    target: str,
    summary: dict[str, Any],
) -> None:
    """Append an entry in ``session``'s transaction, an ORM session's or a Core connection's
    (it stands or falls with the change)."""
    assert action in ACTIONS, f"{action!r} is missing from nbtools.audit.actions.ACTIONS"
    session.execute(
        insert(audit_entries).values(
            actor=current_actor(actor), action=action, target=target[:MAX_TARGET], summary=summary
        )
    )


def record_now(
    store: Store, actor: str | None, action: str, target: str, summary: dict[str, Any]
) -> None:
    """Append an entry in its own transaction (e.g. a refusal, whose action is not stored, or
    after a change another transaction committed)."""
    with store.connection(write=True) as connection:
        record(connection, actor, action, target, summary)


def parse_since(value: str, field: str = "since") -> datetime:
    """``12h``, ``7d``, ``2w`` ago (the calendar's first moment when that is before it:
    ``999999w``), or an ISO 8601 date or time (UTC when it has no zone)."""
    match = _AGO.match(value)
    if match:
        amount = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        try:
            return datetime.now(timezone.utc) - amount
        except OverflowError:
            return datetime.min.replace(tzinfo=timezone.utc)
    if re.fullmatch(r"[0-9]{7,}[hdw]", value):
        raise InvalidInputError(
            f"{field} {value!r:.60} is a duration too long: give at most 6 digits (999999w "
            "already reaches back before the calendar's first day, so it means 'since ever').",
            field=field,
        )
    from nbtools.durations import parse_moment

    try:
        return parse_moment(value, field)
    except InvalidInputError as error:
        if "calendar" in error.details:  # an ISO moment, outside the calendar in UTC
            raise
        raise InvalidInputError(
            f"{field} {value!r:.60} is neither a duration (12h, 7d, 2w) nor an ISO date/time.",
            field=field,
        ) from None


def list_entries(
    project: Project,
    *,
    since: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first; ``action`` is one of :data:`ACTIONS` or a family of them
    (``job.*``; anything else is an :class:`InvalidInputError` naming ``action``); ``target``
    is what was acted on (``job 3``, ``dataset customers``; found by its whole text or the
    first :data:`MAX_TARGET` characters stored); ``before`` an entry id (the last
    of the previous page: the next older page)."""
    check_limit(limit, MAX_LIMIT)
    if action:
        checked_filter(action)
    table = audit_entries
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(table.c.at >= since)
    if before is not None:
        query = query.where(table.c.id < before)
    if target:  # a longer one is stored as its beginning
        query = query.where(table.c.target == target[:MAX_TARGET])
    if actor:
        query = query.where(table.c.actor == stored_actor(actor))
    if action:
        if action.endswith(".*"):
            query = query.where(table.c.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(table.c.action == action)
    with project.store.connection() as connection:
        return [
            AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.summary))
            for r in connection.execute(query)
        ]
