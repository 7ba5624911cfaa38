"""Claims on queued runs, so several schedulers can share one database.

A scheduler *claims* a queued run before handing it to its executor: it writes a token of its
own into ``lease_owner`` and a deadline into ``lease_expires_at``. Only the holder of that
token can start the run (:func:`nbtools.jobs.runs.claim`), and while the run executes its
worker renews the deadline with every heartbeat. A claim whose deadline passed is free again:
a queued run is claimed anew by any scheduler, a running one is ended as lost by the reaper
and retried under the job's policy. So a crashed scheduler's runs come back after one lease,
and a healthy long run — whose lease keeps moving — is never started twice.

On PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED`` (schedulers take disjoint
rows without waiting for each other); on SQLite the write transaction (``BEGIN IMMEDIATE``)
already serialises claimers.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, tuple_, update

from nbtools.jobs.tables import QUEUED, RUNNING, jobs_table, runs_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.store.database import Store

#: Seconds a claim or a running run's lease lasts unless renewed (by a heartbeat).
LEASE_SECONDS = 30.0

#: The columns of the tables (SQLAlchemy Core: the scheduler's queries need no ORM objects).
run, job = runs_table.c, jobs_table.c

#: Sets the columns each parameter dict names on the run ``run_id`` (one executemany).
_UPDATE_BY_ID = update(runs_table).where(run.id == bindparam("run_id"))

#: How many queued runs beyond the free slots a claim looks at (some may be over job limits).
LOOKAHEAD = 50


def owner_id() -> str:
    """A name for this claimer, unique across machines and restarts: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Claimer:
    """Makes one token per claim (``<owner>/<n>``): the token says which submission holds it."""

    def __init__(self, owner: str | None = None) -> None:
        self.owner = owner or owner_id()
        self._counter = itertools.count(1)

    def token(self) -> str:
        return f"{self.owner}/{next(self._counter)}"


def lease_free(now: datetime) -> ColumnElement[bool]:
    """Nobody holds the run's claim (never claimed, or the claim expired)."""
    return or_(run.lease_owner.is_(None), run.lease_expires_at < now)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        run.status == QUEUED,
        run.cancel_requested.is_(False),
        or_(run.not_before.is_(None), run.not_before <= now),
        lease_free(now),
    )


def active_counts(session: Session, job_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Runs per job that count against its ``max_concurrent``: running or claimed."""
    ids = list(job_ids)
    if not ids:
        return {}
    held = or_(run.status == RUNNING, and_(run.status == QUEUED, run.lease_expires_at >= now))
    rows = session.execute(
        select(run.job_id, func.count()).where(run.job_id.in_(ids), held).group_by(run.job_id)
    )
    return {job_id: count for job_id, count in rows if job_id is not None}


def _locked_limits(session: Session, job_ids: set[int], skip_locked: bool) -> dict[int, int]:
    """``max_concurrent`` of the jobs, each locked for this transaction on PostgreSQL.

    A job another scheduler is claiming for right now is left out (its runs wait a tick), so
    two schedulers never both count the same free slot of a job. ``FOR NO KEY UPDATE`` does
    not wait for inserts of the job's runs (their foreign key takes ``FOR KEY SHARE``).
    """
    if not job_ids:
        return {}
    query = select(job.id, job.max_concurrent).where(job.id.in_(job_ids))
    if skip_locked:
        query = query.with_for_update(skip_locked=True, key_share=True)
    return dict(session.execute(query).tuples().all())


def cap_backoff(session: Session, now: datetime, max_backoff: timedelta) -> None:
    """Bring forward queued retries waiting longer than ``max_backoff`` since they were made."""
    waiting = session.execute(
        select(run.id, run.created_at, run.not_before).where(
            run.status == QUEUED, run.retry_of.is_not(None), run.not_before > now
        )
    )
    rows: list[dict[str, Any]] = [
        {"run_id": run_id, "not_before": created + max_backoff}
        for run_id, created, not_before in waiting
        if not_before is not None and not_before > created + max_backoff
    ]
    if rows:
        session.execute(_UPDATE_BY_ID, rows)


#: Key of the PostgreSQL advisory lock that serialises claims under a store-wide cap.
CAP_LOCK_KEY = 0x6E62636170  # "nbcap"


def active_total(session: Session, now: datetime) -> int:
    """Runs of the whole store executing or claimed for execution, by any scheduler."""
    held = or_(run.status == RUNNING, and_(run.status == QUEUED, run.lease_expires_at >= now))
    return int(session.scalar(select(func.count()).select_from(runs_table).where(held)) or 0)


def _anything_to_claim(store: Store, now: datetime, max_backoff: timedelta | None) -> bool:
    """Whether a claim may find a run, read without the write lock: a scheduler ticks at
    every queued or finished run, and a write transaction for nothing would make the
    submitters and the workers wait (SQLite has one writer at a time)."""
    wanted = _claimable(now)
    if max_backoff is not None:  # a retry waiting past the cap is brought forward
        waiting = and_(run.status == QUEUED, run.retry_of.is_not(None), run.not_before > now)
        wanted = or_(wanted, waiting)
    with store.session() as session:
        return session.scalar(select(run.id).where(wanted).limit(1)) is not None


def claim_due(
    store: Store,
    claimer: Claimer,
    now: datetime,
    lease_seconds: float,
    limit: int,
    max_backoff: timedelta | None = None,
    max_running: int = 0,
) -> dict[int, str]:
    """Claim up to ``limit`` queued, due runs within their jobs' limits: run id → token.

    With ``max_backoff``, a retry waits at most that long after it was queued. With
    ``max_running``, runs executing or claimed in the whole store — by every scheduler —
    never exceed it: claimers take turns (an advisory lock on PostgreSQL, the write
    transaction on SQLite) so two never count the same free slot.
    """
    if limit <= 0 or not _anything_to_claim(store, now, max_backoff):
        return {}
    with store.session(write=True) as session:
        if max_running > 0:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(CAP_LOCK_KEY)))
            limit = min(limit, max_running - active_total(session, now))
            if limit <= 0:
                return {}
        if max_backoff is not None:
            cap_backoff(session, now, max_backoff)
        postgres = session.get_bind().dialect.name == "postgresql"
        candidates = session.execute(
            select(run.id, run.job_id)
            .where(_claimable(now))
            .order_by(run.id)
            .limit(limit + LOOKAHEAD)
        ).all()
        job_ids = {job_id for _, job_id in candidates if job_id is not None}
        limits = _locked_limits(session, job_ids, skip_locked=postgres)
        active = active_counts(session, limits, now)
        chosen: list[int] = []
        for run_id, job_id in candidates:
            if len(chosen) >= limit:
                break
            if job_id is not None:
                if job_id not in limits or active.get(job_id, 0) >= limits[job_id]:
                    continue
                active[job_id] = active.get(job_id, 0) + 1
            chosen.append(run_id)
        if not chosen:
            return {}
        lock = select(run.id).where(run.id.in_(chosen), _claimable(now)).order_by(run.id)
        if postgres:
            lock = lock.with_for_update(skip_locked=True)
        claimed = {run_id: claimer.token() for run_id in session.scalars(lock)}
        if claimed:
            expires = now + timedelta(seconds=lease_seconds)
            rows: list[dict[str, Any]] = [
                {"run_id": run_id, "lease_owner": token, "lease_expires_at": expires}
                for run_id, token in claimed.items()
            ]
            session.execute(_UPDATE_BY_ID, rows)
        return claimed


def renew_claims(
    store: Store, claims: Mapping[int, str], now: datetime, lease_seconds: float
) -> int:
    """Extend the claims on runs still waiting in this scheduler's executor: ``claims``, run
    id → the token it holds the run's claim with. A claim it no longer holds (it expired and
    another scheduler claimed the run) is left as it is: its holder renews it."""
    if not claims:
        return 0
    held = tuple_(run.id, run.lease_owner).in_(list(claims.items()))
    with store.session(write=True) as session:
        result = session.execute(
            update(runs_table)
            .where(held, run.status == QUEUED)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
