"""The background sender: delivers due notifications from the outbox, a few at a time.

It runs in its own thread (in the Jupyter server or the scheduler daemon) with a small pool,
so a slow or unreachable endpoint holds up only its own delivery, never a run, a tick or
the other notifications. While an attempt runs, its claim is renewed, so that however long
the attempt takes, no sender takes the delivery over as abandoned and sends it twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.channels import DeliveryError, UndeliverableError, deliver
from nbtools.metrics.notify.destinations import destination_problem
from nbtools.metrics.notify.outbox import (
    CLAIM_LEASE,
    claim_next,
    record_delivered,
    record_failed,
    renew_claim,
)
from nbtools.metrics.notify.payload import as_sent
from nbtools.metrics.tables import Notification
from nbtools.store.base import utcnow
from nbtools.store.database import Store, store_failure, store_unavailable

log = logging.getLogger(__name__)

#: How the last error of a delivery that failed for good, without its retries, begins.
PERMANENT = "Permanent failure, not retried: "


class NotificationSender:
    """Claims due notifications and delivers them; ``start()`` runs it in the background."""

    def __init__(
        self,
        store: Store,
        settings: NotificationSettings,
        clock: Callable[[], datetime] = utcnow,
        renew_seconds: float = CLAIM_LEASE.total_seconds() / 5,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        #: How often the claim of a delivery being attempted is renewed (well within the lease).
        self.renew_seconds = renew_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver_one(self, notification: Notification) -> bool:
        """Attempt one claimed delivery and record the outcome; True when delivered (to some
        of its recipients at least: the others are recorded). A destination today's check of
        a new target refuses (stored by an older nbtools) is a permanent failure, never
        sent to."""
        retry_after = None
        try:
            payload = as_sent(notification, self.settings.base_url)
            problem = destination_problem(notification.channel, notification.destination)
            if problem is not None:  # stored by an older nbtools: never sent
                raise UndeliverableError(problem)
            with self._claim_kept(notification.id):
                refused = deliver(
                    notification.channel, notification.destination, payload, self.settings
                )
        except DeliveryError as error:
            message, final = error.message, isinstance(error, UndeliverableError)
            retry_after = error.retry_after
        except Exception as error:  # a bug in a channel must not kill the sender
            log.exception("nbtools: delivering notification %s failed", notification.id)
            message, final = f"{type(error).__name__}: {error}", False
        else:
            if refused is not None:
                log.warning("nbtools: notification %s: %s", notification.id, refused)
            record_delivered(self.store, notification.id, self.worker, self.clock(), refused)
            return True
        if final:
            message = f"{PERMANENT}{message}"
        log.warning("nbtools: notification %s not delivered: %s", notification.id, message)
        record_failed(
            self.store,
            notification.id,
            self.worker,
            message,
            self.clock(),
            self.settings,
            final=final,
            retry_after=retry_after,
        )
        return False

    @contextmanager
    def _claim_kept(self, notification_id: int) -> Iterator[None]:
        """Renew this sender's claim on the delivery every ``renew_seconds`` until the block
        ends."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.renew_seconds):
                try:
                    renew_claim(self.store, notification_id, self.worker, self.clock())
                except Exception as exc:  # the store may be briefly unavailable: next time
                    log.warning(
                        "nbtools: could not renew the claim on notification %s: %s",
                        notification_id,
                        store_failure(exc) if store_unavailable(exc) else exc,
                    )

        keeper = threading.Thread(target=renew, name="nbtools-claim", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def deliver_due(self) -> int:
        """Deliver every notification due now, one after another; the number attempted."""
        attempted = 0
        while (notification := claim_next(self.store, self.worker, self.clock())) is not None:
            self.deliver_one(notification)
            attempted += 1
        return attempted

    def wake(self) -> None:
        """Look for due notifications now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="nbtools-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming; deliveries in flight finish (bounded by the timeout setting)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        limit = max(1, self.settings.concurrency)
        in_flight: set[Future[bool]] = set()
        failures = 0  # polls in a row that could not read the outbox
        with ThreadPoolExecutor(limit, thread_name_prefix="nbtools-deliver") as pool:
            while not self._stopping.is_set():
                self._wake.clear()
                in_flight = {future for future in in_flight if not future.done()}
                try:
                    while len(in_flight) < limit and not self._stopping.is_set():
                        notification = claim_next(self.store, self.worker, self.clock())
                        if notification is None:
                            break
                        future = pool.submit(self.deliver_one, notification)
                        future.add_done_callback(lambda _done: self._wake.set())
                        in_flight.add(future)
                except Exception as exc:  # the store may be briefly unavailable; try again later
                    failures += 1
                    if failures > 1:
                        pass  # said at the first: summarized when the outbox is read again
                    elif store_unavailable(exc):
                        log.warning(
                            "nbtools: the notification sender cannot read the outbox (%s); "
                            "retrying until it can",
                            store_failure(exc),
                        )
                    else:
                        log.exception("nbtools: the notification sender could not read the outbox")
                else:
                    if failures:
                        log.warning(
                            "nbtools: the notification sender read the outbox again after %d "
                            "failed polls",
                            failures,
                        )
                    failures = 0
                self._wake.wait(self.settings.poll_seconds)
