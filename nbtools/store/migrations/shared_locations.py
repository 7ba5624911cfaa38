"""What a migration that leaves datasets sharing a location (``location_0001``,
``location_0002``, ``location_0003``) does and tells the operator: which datasets share which
location, and what to do."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nbtools.urls import normalized_url, without_login

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

log = logging.getLogger("nbtools.store")

#: The locations named in the warning, at most (then how many more).
SHOWN = 20


def warn_shared(by_location: dict[str, list[str]], change: str, since: str) -> None:
    """Name the datasets at each location of ``by_location`` (their names in order), which
    the migration marked and left be: ``change`` says what the store now holds, ``since``
    since when they share their location."""
    shown = [
        f"{without_login(location)}: {', '.join(names)}" for location, names in by_location.items()
    ]
    more = f"; and {len(shown) - SHOWN} more locations" if len(shown) > SHOWN else ""
    log.warning(
        "%s, and %d datasets share %d location%s (%s): %s%s. They keep working and can be "
        "edited; give each its own location or remove the extra ones. `nbtools data list` and "
        "`nbtools status` name them until then.",
        change,
        sum(len(names) for names in by_location.values()),
        len(by_location),
        "" if len(by_location) == 1 else "s",
        since,
        "; ".join(shown[:SHOWN]),
        more,
    )


def respell_locations(bind: Connection, change: str, since: str) -> None:
    """Store each URL location of the catalog in its one spelling
    (:func:`~nbtools.urls.normalized_url`, as the running version spells it), marking the
    datasets whose locations then meet (``shares_location``) before any location changes,
    and naming them in a warning (:func:`warn_shared`: ``change``, ``since``). Paths, and a
    URL spelled so already, are left as they are: never fails for a shared location."""
    datasets = sa.table(
        "datasets",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("location", sa.String()),
        sa.column("shares_location", sa.Boolean()),
    )
    query = sa.select(datasets.c.id, datasets.c.name, datasets.c.location)
    rows: list[tuple[int, str, str]] = [
        (row_id, name, location)
        for row_id, name, location in bind.execute(query.order_by(datasets.c.name))
    ]
    at: dict[str, list[tuple[int, str, str]]] = {}
    for row in rows:
        at.setdefault(normalized_url(row[2]), []).append(row)
    shared = {location: held for location, held in at.items() if len(held) > 1}
    # marked first: a row spelled anew may take the location of one still at its spelling
    marked = [{"row_id": row_id} for held in shared.values() for row_id, _, _ in held]
    by_id = datasets.c.id == sa.bindparam("row_id", type_=sa.Integer())
    if marked:
        bind.execute(sa.update(datasets).where(by_id).values(shares_location=True), marked)
    moved = [
        {"row_id": row_id, "spelled": spelled}
        for spelled, held in at.items()
        for row_id, _, location in held
        if location != spelled
    ]
    if moved:
        bind.execute(
            sa.update(datasets).where(by_id).values(location=sa.bindparam("spelled")), moved
        )
    newly = {
        spelled: [name for _, name, _ in held]
        for spelled, held in sorted(shared.items())
        if any(location != spelled for _, _, location in held)
    }
    if newly:
        warn_shared(newly, change, since)
