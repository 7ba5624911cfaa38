"""Which schedulers serve a store, so that people can tell whether due jobs and queued runs
will be picked up.

A scheduler (``nbtools scheduler``, or the Jupyter server's) adds its row when it starts,
marks it seen as it ticks (at most every :data:`SEEN_EVERY_SECONDS`) and deletes it when it
stops. One killed before it could is *alive* no longer once unseen for
:func:`alive_window` (three of its polls, at least :data:`MIN_WINDOW_SECONDS`); its row stays,
so the report can say when the store last had a scheduler, until the next scheduler to start
removes rows unseen for :data:`FORGET_AFTER`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update

from nbtools.jobs.leases import owner_id
from nbtools.jobs.tables import schedulers_table
from nbtools.jsonvalues import WireModel

if TYPE_CHECKING:
    from nbtools.store.database import Store

#: Seconds between two marks of a scheduler as seen (each is one write).
SEEN_EVERY_SECONDS = 10.0
#: The shortest time a scheduler counts as alive after it was last seen.
MIN_WINDOW_SECONDS = 3 * SEEN_EVERY_SECONDS
#: Rows of schedulers unseen for this long are removed when another scheduler starts.
FORGET_AFTER = timedelta(days=7)

_c = schedulers_table.c


@dataclass(frozen=True)
class SchedulerSeen(WireModel):
    """A scheduler of the store, as it last reported itself."""

    host: str
    pid: int
    executor: str
    started_at: datetime
    seen_at: datetime
    alive: bool


def alive_window(poll_seconds: float) -> timedelta:
    """How long after it was last seen a scheduler polling every ``poll_seconds`` is alive."""
    return timedelta(seconds=max(3 * poll_seconds + SEEN_EVERY_SECONDS, MIN_WINDOW_SECONDS))


class Presence:
    """One scheduler's row: added by :meth:`start`, marked by :meth:`seen`, removed by
    :meth:`stop`."""

    def __init__(
        self, store: Store, executor: str, poll_seconds: float, owner: str | None = None
    ) -> None:
        self.store, self.executor, self.poll_seconds = store, executor, poll_seconds
        #: The scheduler's claims' owner (:class:`~nbtools.jobs.leases.Claimer`), so that
        #: whose runs a claim's token names is known alive or gone (:func:`alive_owners`).
        self.id = owner or owner_id()
        self._seen: datetime | None = None

    def start(self, now: datetime) -> None:
        """Add this scheduler's row (and forget those of schedulers long gone)."""
        with self.store.connection(write=True) as connection:
            connection.execute(delete(schedulers_table).where(_c.seen_at < now - FORGET_AFTER))
            connection.execute(insert(schedulers_table).values(self._row(now)))
        self._seen = now

    def seen(self, now: datetime) -> None:
        """Mark this scheduler seen at ``now``, unless it was less than
        :data:`SEEN_EVERY_SECONDS` ago (a write that failed is not tried again sooner
        either); its row is added again if someone removed it."""
        if self._seen is not None and now - self._seen < timedelta(seconds=SEEN_EVERY_SECONDS):
            return
        self._seen = now
        with self.store.connection(write=True) as connection:
            marked = connection.execute(
                update(schedulers_table).where(_c.id == self.id).values(seen_at=now)
            )
            if marked.rowcount == 0:
                connection.execute(insert(schedulers_table).values(self._row(now)))

    def stop(self) -> None:
        """Remove this scheduler's row: it serves the store no more."""
        with self.store.connection(write=True) as connection:
            connection.execute(delete(schedulers_table).where(_c.id == self.id))

    def _row(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.id,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "executor": self.executor[:50],
            "poll_seconds": self.poll_seconds,
            "started_at": now,
            "seen_at": now,
        }


def schedulers(store: Store, now: datetime) -> list[SchedulerSeen]:
    """The store's schedulers, alive ones first, each group most recently seen first."""
    with store.connection() as connection:
        rows = connection.execute(select(schedulers_table).order_by(_c.seen_at.desc())).all()
    seen = [
        SchedulerSeen(
            host=row.host,
            pid=row.pid,
            executor=row.executor,
            started_at=row.started_at,
            seen_at=row.seen_at,
            alive=now - row.seen_at <= alive_window(row.poll_seconds),
        )
        for row in rows
    ]
    return sorted(seen, key=lambda scheduler: not scheduler.alive)


def alive_owners(store: Store, now: datetime) -> set[str]:
    """The ids of the store's alive schedulers: each is its claims' owner, the part of a
    claim token before its ``/`` (:class:`~nbtools.jobs.leases.Claimer`)."""
    with store.connection() as connection:
        rows = connection.execute(select(_c.id, _c.seen_at, _c.poll_seconds)).all()
    return {row.id for row in rows if now - row.seen_at <= alive_window(row.poll_seconds)}
