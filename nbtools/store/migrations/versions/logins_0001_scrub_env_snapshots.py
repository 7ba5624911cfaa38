"""Environment snapshots stored before logins were dropped (session 29) lose them in place.

A direct URL's login (``pkg @ https://user:token@host/pkg.whl``, an index's file URL with its
``user:password@``) was kept in the snapshot's stored document and dropped only when read
(:class:`nbtools.envsnap.model.Distribution`): a copy of the database, a backup or a look at
the table showed it. Each such URL is rewritten as a snapshot is stored now
(:func:`nbtools.urls.shareable_url`: without its login, unless that is ``${VARIABLES}`` or
git's ``git@``). A snapshot keeps its id (the runs that used it name it); a row without a
login is not written. Recorded environment variables need nothing: their URL logins were
masked (``***@``) when captured, from the first version on.

The downgrade leaves the rows as they are, masked: the logins are kept nowhere, and an older
version reads a URL without a login as any other.

Revision ID: logins_0001
Revises: envsnap_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from typing import Any

from alembic import op
from sqlalchemy import Column, MetaData, String, Table, Text, select, update

from nbtools.urls import shareable_url

revision = "logins_0001"
down_revision = "envsnap_0001"
branch_labels = ("logins",)
depends_on = None

#: Snapshots read at a time (each document lists a whole environment).
BATCH = 200

#: The table as this revision knows it.
snapshots = Table(
    "env_snapshots",
    MetaData(),
    Column("id", String(64), primary_key=True),
    Column("document", Text),
)


def upgrade() -> None:
    connection = op.get_bind()
    last = ""
    while rows := connection.execute(
        select(snapshots.c.id, snapshots.c.document)
        .where(snapshots.c.id > last)
        .order_by(snapshots.c.id)
        .limit(BATCH)
    ).all():
        for row in rows:
            scrubbed = _scrubbed(row.document)
            if scrubbed is not None:
                connection.execute(
                    update(snapshots).where(snapshots.c.id == row.id).values(document=scrubbed)
                )
        last = rows[-1].id


def _scrubbed(text: str) -> str | None:
    """The stored document ``text`` without its direct URLs' secret logins; None if it holds
    none."""
    document: dict[str, Any] = json.loads(text)
    changed = False
    for dist in document.get("distributions") or ():
        direct = dist.get("direct_url")
        url = direct.get("url") if isinstance(direct, dict) else None
        if isinstance(url, str) and (kept := shareable_url(url)) != url:
            direct["url"], changed = kept, True
    return json.dumps(document) if changed else None


def downgrade() -> None:
    pass
