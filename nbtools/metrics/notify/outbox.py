"""Notification targets of a job, and the outbox their deliveries go through.

Enqueueing only inserts rows, inside the caller's transaction, so a run or scheduler tick
never waits for a network. The sender claims due rows one at a time (a conditional UPDATE,
so two senders never take the same row), and a claim whose sender died is taken over
after a lease. Each claim counts an attempt; failures are retried with doubling backoff
(or later, if the endpoint asked to be tried again later) until ``max_attempts``, then the
row is kept as ``failed`` with its last error; a permanent failure is kept as ``failed`` at
once. Removing a target cancels its deliveries not sent yet; none is ever claimed for a
removed target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from nbtools import audit
from nbtools.durations import doubling_wait
from nbtools.errors import ConflictError, InvalidInputError, NotFoundError
from nbtools.ids import check_limit
from nbtools.jobs.definitions import get_job
from nbtools.jobs.submit import check_active
from nbtools.metrics.notify.destinations import (
    check_destination,
    listed_destination,
    same_mailboxes,
)
from nbtools.metrics.tables import (
    CANCELLED,
    DELIVERED,
    DELIVERY_STATES,
    EMAIL,
    EVENTS,
    GAVE_UP,
    PENDING,
    SENDING,
    Notification,
    NotificationTarget,
    add_once,
)
from nbtools.urls import normalized_url

if TYPE_CHECKING:
    from nbtools.metrics.config import NotificationSettings
    from nbtools.store.database import Store

#: A claimed delivery whose sender has not renewed its claim (:func:`renew_claim`) or reported
#: back for this long is claimed again: its sender died.
CLAIM_LEASE = timedelta(minutes=5)
#: A normalized http(s) URL: ``scheme://``, the login, the host, the port and what follows.
_ENDPOINT = re.compile(
    r"(?P<scheme>https?)://(?P<login>[^/?]*@|)(?P<host>\[[^\]]*\]|[^/?:]*)(?P<rest>.*)", re.S
)


def check_events(events: Sequence[str]) -> list[str]:
    unknown = [event for event in events if event not in EVENTS]
    if unknown or not events:
        raise InvalidInputError(
            f"Notify on one or more of {', '.join(EVENTS)}; got {', '.join(events) or 'none'}.",
            field="events",
            events=list(events),
        )
    return [event for event in EVENTS if event in events]


def add_target(
    session: Session,
    job_id: int,
    channel: str,
    destination: str,
    events: Sequence[str],
    actor: str | None = None,
) -> NotificationTarget:
    """Notify about job ``job_id``'s ``events`` through ``channel`` to ``destination``; the
    same destination twice on one job is a conflict (each event would be delivered twice),
    and so is an archived job (it never runs again).
    Audited as ``notify.add`` by ``actor`` in the same transaction: a target sends run
    parameters and metrics out of the project."""
    target = NotificationTarget(
        job_id=check_active(get_job(session, job_id)).id,
        channel=channel,
        destination=check_destination(channel, destination),
        events=check_events(events),
        enabled=True,
    )
    for existing in list_targets(session, job_id):
        if existing.channel == channel and _same(channel, existing.destination, target.destination):
            raise ConflictError(
                f"Job {job_id} already notifies this {channel} destination (target "
                f"{existing.id}, on {', '.join(existing.events)}): remove that target first "
                "to change its events.",
                target_id=existing.id,
            )
    session.add(target)
    session.flush()
    audit.record(session, actor, "notify.add", f"notification target {target.id}", _summary(target))
    return target


def _summary(target: NotificationTarget) -> dict[str, Any]:
    """The audit summary of a target: its destination as listings show it (a webhook only by
    its site: the trail is kept for good, and a webhook's path or query is often its secret),
    e-mail addresses as they are."""
    return {
        "job_id": target.job_id,
        "channel": target.channel,
        "destination": listed_destination(target.channel, target.destination),
        "events": list(target.events),
    }


def _same(channel: str, one: str, other: str) -> bool:
    """Whether two normalized destinations reach the same place: the same endpoint
    (:func:`_endpoint`), or the same mailboxes (:func:`same_mailboxes`)."""
    if channel != EMAIL:
        return _endpoint(one) == _endpoint(other)
    return same_mailboxes(one, other)


def _endpoint(url: str) -> str:
    """A webhook's URL as requests reach it: spelled as :func:`nbtools.urls.normalized_url`
    spells it (host in lower case, no default port, ...), its host as IDNA without a trailing
    dot, and without the fragment, which is never sent."""
    spelled = normalized_url(url.partition("#")[0])
    parts = _ENDPOINT.fullmatch(spelled)
    if parts is None:
        return spelled
    host = parts["host"].rstrip(".")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return f"{parts['scheme']}://{parts['login']}{host}{parts['rest']}"


def list_targets(session: Session, job_id: int | None = None) -> list[NotificationTarget]:
    query = select(NotificationTarget).order_by(NotificationTarget.id)
    if job_id is not None:
        query = query.where(NotificationTarget.job_id == job_id)
    return list(session.scalars(query))


def remove_target(
    session: Session, target_id: int, actor: str | None = None
) -> tuple[NotificationTarget, int]:
    """Delete a target and cancel its deliveries not sent yet (pending, or being sent: an
    attempt in flight still records what it did); audited as ``notify.remove`` by ``actor``
    in the same transaction. The target, and how many deliveries were cancelled."""
    target = session.get(NotificationTarget, target_id)
    if target is None:
        raise NotFoundError(f"Notification target {target_id} does not exist.", id=target_id)
    cancelled = session.execute(
        update(Notification)
        .where(Notification.target_id == target_id, Notification.status.in_((PENDING, SENDING)))
        .values(status=CANCELLED, last_error=_target_removed(target_id))
    )
    session.delete(target)
    audit.record(
        session, actor, "notify.remove", f"notification target {target_id}", _summary(target)
    )
    return target, cancelled.rowcount  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    *,
    job_id: int,
    event: str,
    payload: dict[str, Any],
    now: datetime,
    run_id: int | None = None,
    alert_id: int | None = None,
) -> list[Notification]:
    """Queue ``payload`` for every enabled target of the job that wants ``event``.

    Queueing the same event of the same run (or alert) twice queues it once.
    """
    queued = []
    key = f"{event}:{run_id}:{alert_id}"
    for target in list_targets(session, job_id):
        if not target.enabled or event not in target.events:
            continue
        notification = Notification(
            target_id=target.id,
            job_id=job_id,
            run_id=run_id,
            alert_id=alert_id,
            event=event,
            channel=target.channel,
            destination=target.destination,
            payload=payload,
            dedupe_key=key,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        if add_once(session, notification):
            queued.append(notification)
    return queued


def _target_removed(target_id: int | None) -> str:
    """Why a delivery was cancelled (its target's id, if known)."""
    which = "" if target_id is None else f" {target_id}"
    return f"Not sent: its notification target{which} was removed."


def claim_next(store: Store, worker: str, now: datetime) -> Notification | None:
    """Take the next due delivery for ``worker``, or None when nothing is due. A due delivery
    whose target is gone (removed by a version that did not cancel its deliveries) is
    cancelled, never claimed."""
    due = or_(
        (Notification.status == PENDING) & (Notification.next_attempt_at <= now),
        (Notification.status == SENDING) & (Notification.claimed_at < now - CLAIM_LEASE),
    )
    first_due = (
        select(Notification.id, Notification.target_id)
        .where(due)
        .order_by(Notification.next_attempt_at)
        .limit(1)
    )
    with store.session() as session:  # nothing due (the usual case): no write lock taken
        if session.execute(first_due).first() is None:
            return None
    with store.session(write=True) as session:
        while (found := session.execute(first_due).first()) is not None:
            candidate, target_id = found
            if target_id is not None:
                return _claim(session, candidate, due, worker, now)
            session.execute(
                update(Notification)
                .where(Notification.id == candidate)
                .values(status=CANCELLED, last_error=_target_removed(None))
            )
        return None


def _claim(
    session: Session, candidate: int, due: ColumnElement[bool], worker: str, now: datetime
) -> Notification | None:
    """Claim ``candidate`` if it is still ``due`` (another sender may have taken it)."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == candidate, due)
        .values(
            status=SENDING,
            claimed_by=worker,
            claimed_at=now,
            attempts=Notification.attempts + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Notification, candidate)


def renew_claim(store: Store, notification_id: int, worker: str, now: datetime) -> None:
    """``worker`` is still attempting the delivery it claimed: its lease starts again."""
    with store.session(write=True) as session:
        session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.claimed_by == worker,
                Notification.status == SENDING,
            )
            .values(claimed_at=now)
        )


def record_delivered(
    store: Store, notification_id: int, worker: str, now: datetime, refused: str | None = None
) -> None:
    """The delivery got through; ``refused`` says to whom it did not (an e-mail recipient the
    server refused while it took the others), kept as its last error."""
    with store.session(write=True) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.claimed_by == worker)
            .values(status=DELIVERED, delivered_at=now, last_error=refused)
        )


def record_failed(
    store: Store,
    notification_id: int,
    worker: str,
    error: str,
    now: datetime,
    settings: NotificationSettings,
    *,
    final: bool = False,
    retry_after: float | datetime | None = None,
) -> None:
    """Schedule a retry with backoff, or give up after the last allowed attempt (or this
    one, if ``final``: retrying cannot help); a delivery cancelled during the attempt (its
    target removed) stays cancelled. ``retry_after`` (seconds from ``now``, or a moment) is
    when the endpoint asked to be tried again: the retry waits for it, up to the longest
    wait of the settings."""
    with store.session(write=True) as session:
        notification = session.get(Notification, notification_id)
        if notification is None or notification.claimed_by != worker:
            return
        if notification.status != SENDING:
            return
        notification.last_error = error
        if final or notification.attempts >= settings.max_attempts:
            notification.status = GAVE_UP
            return
        delay = doubling_wait(
            settings.backoff_seconds, notification.attempts, settings.max_backoff_seconds
        )
        if retry_after is not None:
            if isinstance(retry_after, datetime):
                retry_after = (retry_after - now).total_seconds()
            delay = min(max(delay, retry_after), settings.max_backoff_seconds)
        notification.status = PENDING
        notification.next_attempt_at = now + timedelta(seconds=delay)


def list_notifications(
    session: Session, *, job_id: int | None = None, status: str | None = None, limit: int = 50
) -> list[Notification]:
    if status is not None and status not in DELIVERY_STATES:
        raise InvalidInputError(
            f"Unknown delivery status {status!r}; use one of {', '.join(DELIVERY_STATES)}.",
            field="status",
            status=status,
        )
    query = select(Notification).order_by(Notification.id.desc()).limit(check_limit(limit))
    if job_id is not None:
        query = query.where(Notification.job_id == job_id)
    if status is not None:
        query = query.where(Notification.status == status)
    return list(session.scalars(query))


def retry_now(
    session: Session, notification_id: int, now: datetime, actor: str | None = None
) -> Notification:
    """Send a failed (or waiting) notification again at the next chance, with fresh attempts;
    audited as ``notify.retry`` by ``actor`` in the same transaction (it sends the run's data
    out of the project again). One that cannot be sent again (its target removed), that was
    delivered or that is being sent is refused, saying so."""
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise NotFoundError(f"Notification {notification_id} does not exist.", id=notification_id)
    refusal = _no_retry(notification)
    if refusal is not None:
        raise ConflictError(
            f"Notification {notification_id} {refusal}",
            id=notification_id,
            status=notification.status,
        )
    summary = {
        "job_id": notification.job_id,
        "target_id": notification.target_id,
        "channel": notification.channel,
        "destination": listed_destination(notification.channel, notification.destination),
        "event": notification.event,
        "run_id": notification.run_id,
        "alert_id": notification.alert_id,
        "status": notification.status,  # before: failed, or pending (waiting)
    }
    notification.status = PENDING
    notification.attempts = 0
    notification.next_attempt_at = now
    audit.record(session, actor, "notify.retry", f"notification {notification_id}", summary)
    return notification


def _no_retry(notification: Notification) -> str | None:
    """Why ``notification`` cannot be sent again (the end of a sentence naming it), if so."""
    if notification.status == DELIVERED:
        when = notification.delivered_at
        at = f" at {when.isoformat(timespec='seconds')}" if when is not None else ""
        return f"was delivered{at}: there is nothing to retry."
    if notification.status == SENDING:
        return (
            f"is being sent now (attempt {notification.attempts}): a failed attempt is "
            "retried by itself, and a final failure can be retried then."
        )
    if notification.status == CANCELLED or notification.target_id is None:
        return (
            "cannot be sent again: its notification target was removed. Add a target to "
            "notify that destination of new events."
        )
    return None
