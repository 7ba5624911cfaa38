"""The server's refusals in the audit trail (``access.deny``), at most one entry a minute for
each user, permission and route, so that a client that keeps asking (a view polling a route
its user may not read) cannot flood the trail.

::

    from nbtools.audit.denials import record_denial

    record_denial(store, "bob", "GET /nbtools/api/audit", "admin")  # True: entered
    record_denial(store, "bob", "GET /nbtools/api/audit", "admin")  # False: within the minute

A denial is entered unless the same user was refused the same permission on the same route
(method and path) less than :data:`DENIAL_WINDOW` before it, by an entry of the trail; the
denials it leaves out are neither entered nor counted. The first denial is always entered, and
so is one of another user, another permission or another route. Two denials at once take
turns (the write transaction on SQLite, an advisory lock on PostgreSQL), so only one of them
is entered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from nbtools.audit import current_actor
from nbtools.audit.tables import MAX_TARGET, audit_entries
from nbtools.store.base import utcnow

if TYPE_CHECKING:
    from nbtools.store.database import Store

#: How long after an entered denial the same user's identical denials are not entered.
DENIAL_WINDOW = timedelta(minutes=1)

#: Key of the PostgreSQL advisory lock that serialises the look for an earlier denial and
#: the entry.
DENIAL_LOCK_KEY = 0x6E6264656E79  # "nbdeny"

ACTION = "access.deny"


def record_denial(
    store: Store, actor: str, target: str, permission: str, now: datetime | None = None
) -> bool:
    """Enter that ``actor`` was refused ``permission`` on ``target`` (``METHOD /route``) in
    its own transaction, unless an identical denial was entered within :data:`DENIAL_WINDOW`
    before ``now``; whether it was entered. ``actor`` is as the store keeps it
    (:func:`~nbtools.audit.current_actor`)."""
    stored = current_actor(actor)
    target = target[:MAX_TARGET]
    with store.connection(write=True) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(DENIAL_LOCK_KEY)))
        at = now or utcnow()  # once it is this denial's turn: after the one before it
        recent = connection.execute(
            select(audit_entries.c.summary).where(
                audit_entries.c.action == ACTION,
                audit_entries.c.actor == stored,
                audit_entries.c.target == target,
                audit_entries.c.at > at - DENIAL_WINDOW,
            )
        ).scalars()
        if any(summary.get("permission") == permission for summary in recent):
            return False
        summary = {"permission": permission, "outcome": "denied"}
        connection.execute(
            insert(audit_entries).values(
                at=at, actor=stored, action=ACTION, target=target, summary=summary
            )
        )
    return True
