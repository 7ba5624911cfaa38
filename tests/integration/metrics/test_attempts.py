"""One delivery attempt: bounded as a whole by ``timeout_seconds``, its claim kept while it
runs, and carrying an id that stays the same on every attempt, so that receivers can drop
what they already have. Against real local servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import CLAIM_LEASE, claim_next, retry_now
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification
from nbtools.project import Project
from tests.integration.metrics.conftest import Clock, WebhookReceiver, queue, statuses, stored

#: How often a trickling server sends its next byte.
TRICKLE_SECONDS = 0.05


@contextmanager
def trickling(first: bytes, then: bytes, reads_first: bool) -> Iterator[int]:
    """A TCP server on a free port of localhost (yielded) that answers each connection with
    ``first`` at once, then ``then`` a byte at a time, for as long as that takes (20 s for 400
    bytes) or until the test ends; an HTTP server reads the request first."""
    listener = socket.create_server(("127.0.0.1", 0))
    ending = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            try:
                if reads_first:
                    connection.recv(65536)
                connection.sendall(first)
                for byte in then:
                    if ending.wait(TRICKLE_SECONDS):
                        return
                    connection.sendall(bytes([byte]))
                ending.wait(30)
            except OSError:  # the client shut the connection down
                return

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed at the end of the test
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        ending.set()
        listener.close()


def wait_for(condition: Callable[[], bool]) -> None:
    """Wait for a background attempt (a deadline against hangs, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the attempt did not end"
        time.sleep(0.02)


@pytest.fixture
def quick(settings: NotificationSettings) -> NotificationSettings:
    """Attempts of half a second: a trickling server outlasts them, a byte at a time."""
    settings.timeout_seconds = 0.5
    return settings


def test_a_webhook_answering_a_byte_at_a_time_is_cut_at_the_timeout(
    project: Project, quick: NotificationSettings, clock: Clock
) -> None:
    """Each byte came within the socket's timeout, so an attempt lasted as long as the
    endpoint liked (40 s with a timeout of 3 s)."""
    headers = b"X-Slow: " + b"a" * 400 + b"\r\nContent-Length: 0\r\n\r\n"
    with trickling(b"HTTP/1.1 200 OK\r\n", headers, reads_first=True) as port:
        (queued,) = queue(project, clock, "webhook", f"http://127.0.0.1:{port}/hook")
        assert NotificationSender(project.store, quick, clock).deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "pending", 1, "The webhook did not answer in time: an attempt may take 0.5 s "
        "(c.NotificationSettings.timeout_seconds).",
    )  # fmt: skip


def test_a_webhook_s_2xx_status_is_its_answer_whatever_body_follows(
    project: Project, quick: NotificationSettings, clock: Clock
) -> None:
    """The receiver has taken the notification: waiting for a body trickling past the
    timeout would fail the attempt and send the notification again."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  # 50 s of body
    with trickling(answer, b"a" * 1000, reads_first=True) as port:
        (queued,) = queue(project, clock, "webhook", f"http://127.0.0.1:{port}/hook")
        sender = NotificationSender(project.store, quick, clock)
        attempt = threading.Thread(target=sender.deliver_due)
        attempt.start()
        wait_for(lambda: statuses(project)[queued.id][0] != "pending")
        attempt.join(30)
    assert statuses(project)[queued.id] == ("delivered", 1, None)


def test_an_smtp_server_answering_a_byte_at_a_time_is_cut_at_the_timeout(
    project: Project, quick: NotificationSettings, clock: Clock
) -> None:
    quick.smtp_host = "127.0.0.1"
    with trickling(b"", b"220 " + b"x" * 400 + b"\r\n", reads_first=False) as port:
        quick.smtp_port = port
        (queued,) = queue(project, clock, "email", "ops@example.org")
        assert NotificationSender(project.store, quick, clock).deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "pending", 1, f"The SMTP server 127.0.0.1:{port} did not answer in time: an attempt "
        "may take 0.5 s (c.NotificationSettings.timeout_seconds).",
    )  # fmt: skip


def test_a_delivery_attempted_for_longer_than_the_lease_is_not_taken_over_and_sent_twice(
    project: Project, webhook: WebhookReceiver, settings: NotificationSettings, clock: Clock
) -> None:
    """An endpoint answering after 5 minutes got the notification twice from one sender: the
    claim's lease ran out during the attempt and the same sender claimed it again."""
    sender = NotificationSender(project.store, settings, clock, renew_seconds=0.01)
    (slow,) = queue(project, clock, "webhook", f"{webhook.url}/slow")
    attempt = threading.Thread(target=sender.deliver_due)
    attempt.start()
    try:
        assert webhook.got_request.wait(30)
        clock.now += CLAIM_LEASE + timedelta(minutes=1)
        # the claim was renewed
        wait_for(lambda: stored(project, Notification.claimed_at, slow.id) == clock.now)
        assert claim_next(project.store, sender.worker, clock()) is None
        assert claim_next(project.store, "another-sender", clock()) is None
    finally:
        webhook.release_slow.set()
        attempt.join(30)
    assert statuses(project)[slow.id] == ("delivered", 1, None)
    assert len(webhook.received) == 1


def test_a_claim_not_renewed_for_the_lease_is_taken_over(
    project: Project, webhook: WebhookReceiver, clock: Clock
) -> None:
    """Its sender died during the attempt: another attempt is made."""
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    assert claim_next(project.store, "died", clock()) is not None
    clock.now += CLAIM_LEASE
    assert claim_next(project.store, "alive", clock()) is None
    clock.now += timedelta(seconds=1)
    taken = claim_next(project.store, "alive", clock())
    assert taken is not None
    assert (taken.id, taken.claimed_by, taken.attempts) == (queued.id, "alive", 2)


def test_every_attempt_of_a_delivery_carries_the_same_notification_id(
    project: Project, webhook: WebhookReceiver, settings: NotificationSettings, clock: Clock
) -> None:
    """The payload had no id: a receiver could not tell a delivery sent again (its answer
    lost) from a new one."""
    sender = NotificationSender(project.store, settings, clock)
    (first,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=1)
    webhook.replies = [500, 500, 500]
    for _ in range(3):  # the retries
        assert sender.deliver_due() == 1
        clock.now += timedelta(hours=1)
    assert statuses(project)[first.id][:2] == ("failed", 3)
    with project.store.session(write=True) as session:
        retry_now(session, first.id, clock())  # and by hand
    assert sender.deliver_due() == 1
    (second,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=2)
    assert sender.deliver_due() == 1
    keys = webhook.idempotency_keys
    assert len(keys) == 5
    assert len(set(keys[:4])) == 1
    assert keys[4] not in keys[:4]
    assert [body["notification_id"] for _, body in webhook.received] == keys[3:]
    assert list(webhook.received[0][1])[:2] == ["notification_id", "event"]
    assert statuses(project)[second.id][0] == "delivered"
