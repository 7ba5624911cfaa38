"""Deliveries to a real local HTTP server and a real local SMTP server, through the outbox."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import update

from nbtools import metrics
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import list_notifications, retry_now
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification
from nbtools.project import Project
from tests.integration.metrics.conftest import (
    Clock,
    MailServer,
    WebhookReceiver,
    queue,
    running_mail_server,
    statuses,
)
from tests.postgres import free_port
from tests.unit.jobs.test_run_views import counted


def wait_for(condition: Callable[[], bool]) -> None:
    """Wait for a background delivery (a deadline against hangs, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the background sender did not deliver"
        time.sleep(0.02)


def test_webhook_receives_the_json_payload(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    assert sender.deliver_due() == 1
    path, body = webhook.received[0]
    assert path == "/hook"
    assert body["event"] == "failure"
    assert body["summary"] == "[job-1] run 1 failed"
    assert body["job"] == {"id": 1, "name": "job-1"}
    assert body["run"] == {
        "id": 1, "status": "failed", "parameters": {"alpha": 0.1}, "metrics": {"accuracy": 0.5}
    }  # fmt: skip
    assert body["links"]["run_metrics"] == "http://lab.example/nbtools/api/runs/1/metrics"
    assert statuses(project)[queued.id] == ("delivered", 1, None)
    assert sender.deliver_due() == 0


def test_a_payload_holding_nan_or_an_infinity_is_sent_as_json_with_null(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """An alert an earlier version stored from a change near a float's largest held NaN and
    infinity among its values: the webhook got ``NaN`` and ``Infinity``, which strict JSON
    parsers (the receiver's, JavaScript's, Go's) refuse."""
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    with project.store.session(write=True) as session:
        stored = session.get(Notification, queued.id)
        assert stored is not None
        values = {"baseline": float("inf"), "change": float("nan"), "value": 1.7e308}
        stored.payload = {**stored.payload, "alert": {"rule": "big rises > 1%", "values": values}}
    assert sender.deliver_due() == 1
    _path, body = webhook.received[0]
    assert body["alert"]["values"] == {"baseline": None, "change": None, "value": 1.7e308}
    assert statuses(project)[queued.id] == ("delivered", 1, None)


def test_credentials_in_a_webhook_url_are_sent_as_basic_auth_and_never_shown(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """``https://user:password@host/`` was sent with the credentials as part of the host name
    (every delivery failed: "Name or service not known"), and listed with the password; it is
    listed by its site only, the login as ``***@``."""
    authorized = webhook.url.replace("http://", "http://ci-bot:s%3Acret%40x@")
    (queued,) = queue(project, clock, "webhook", f"{authorized}/hook")
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id] == ("delivered", 1, None)
    assert webhook.received[0][0] == "/hook"
    expected = base64.b64encode(b"ci-bot:s:cret@x").decode()
    assert webhook.authorizations == [f"Basic {expected}"]
    shown = webhook.url.replace("http://", "http://***@") + "/***"
    assert [target.destination for target in metrics.list_targets(project, 1)] == [shown]
    assert [n.destination for n in metrics.list_notifications(project)] == [shown]
    queue(project, clock, "webhook", f"{webhook.url}/plain", run_id=2)
    assert sender.deliver_due() == 1
    assert webhook.authorizations[-1] is None  # no credentials, no header


def test_with_nothing_due_a_poll_of_the_outbox_only_reads(
    project: Project, sender: NotificationSender
) -> None:
    """The sender polls the outbox; an empty poll takes no write lock (SQLite has one
    writer at a time, which run submissions and workers wait for)."""
    with counted(project) as statements:
        assert sender.deliver_due() == 0
    assert statements
    assert not [s for s in statements if s.startswith(("BEGIN IMMEDIATE", "UPDATE"))]


def test_failures_are_retried_with_backoff_then_given_up_visibly(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    webhook.replies = [500, 503, 500]
    assert sender.deliver_due() == 1
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == ("pending", 1)
    assert error == "The webhook answered HTTP 500 Internal Server Error: receiver says no"

    clock.now += timedelta(seconds=29)
    assert sender.deliver_due() == 0  # not due before the backoff
    clock.now += timedelta(seconds=1)
    assert sender.deliver_due() == 1
    clock.now += timedelta(seconds=59)
    assert sender.deliver_due() == 0  # the backoff doubled
    clock.now += timedelta(seconds=1)
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("failed", 3)
    with project.store.session() as session:
        (failed,) = list_notifications(session, status="failed")
        assert "HTTP 500" in (failed.last_error or "")

    with project.store.session(write=True) as session:
        retry_now(session, queued.id, clock())
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("delivered", 1)
    assert len(webhook.received) == 1


def test_past_a_thousand_attempts_the_wait_stays_the_longest_one(
    project: Project, webhook: WebhookReceiver, clock: Clock
) -> None:
    """Doubling the wait 1100 times is past the largest float: the retry is due after the
    longest wait, where the delivery's failure raised OverflowError and was never recorded."""
    settings = NotificationSettings(max_attempts=5000, backoff_seconds=30, max_backoff_seconds=600)
    sender = NotificationSender(project.store, settings, clock)
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    with project.store.session(write=True) as session:
        session.execute(
            update(Notification).where(Notification.id == queued.id).values(attempts=1100)
        )
    webhook.replies = [500]
    try:
        assert sender.deliver_due() == 1
    finally:
        sender.stop(10)
    assert statuses(project)[queued.id][:2] == ("pending", 1101)
    with project.store.session() as session:
        retried = session.get(Notification, queued.id)
        assert retried is not None
        assert retried.next_attempt_at == clock() + timedelta(seconds=600)


def test_an_unreachable_endpoint_is_a_recorded_failure(
    project: Project, sender: NotificationSender, clock: Clock
) -> None:
    (queued,) = queue(project, clock, "webhook", f"http://127.0.0.1:{free_port()}/hook")
    sender.deliver_due()
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == ("pending", 1)
    assert error is not None
    assert error.startswith("The webhook could not be reached:")


def test_a_slow_endpoint_does_not_hold_up_other_deliveries(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    (slow,) = queue(project, clock, "webhook", f"{webhook.url}/slow", run_id=1)
    sender.start()
    assert webhook.got_request.wait(30)  # the slow endpoint holds its delivery
    (fast,) = queue(project, clock, "webhook", f"{webhook.url}/fast", run_id=2)
    sender.wake()
    wait_for(lambda: statuses(project)[fast.id][0] == "delivered")
    assert statuses(project)[slow.id][0] == "sending"
    webhook.release_slow.set()
    wait_for(lambda: statuses(project)[slow.id][0] == "delivered")
    assert [path for path, _ in webhook.received] == ["/fast", "/slow"]


def test_email_goes_through_a_real_smtp_server(
    project: Project, mail_server: MailServer, settings: NotificationSettings, clock: Clock
) -> None:
    settings.smtp_host, settings.smtp_port = mail_server.host, mail_server.port
    settings.mail_from = "nbtools@example.org"
    sender = NotificationSender(project.store, settings, clock)
    (queued,) = queue(project, clock, "email", "ops@example.org, ana@example.org")
    sender.deliver_due()
    assert statuses(project)[queued.id][0] == "delivered"
    (message,) = mail_server.messages
    assert message["Subject"] == "nbtools: [job-1] run 1 failed"
    assert message["To"] == "ops@example.org, ana@example.org"
    assert message["From"] == "nbtools@example.org"
    text, attachment = [part for part in message.walk() if not part.is_multipart()]
    assert 'Parameters: {"alpha": 0.1}' in text.get_payload(decode=True).decode()
    sent = json.loads(attachment.get_payload(decode=True))
    assert sent["run"]["id"] == 1
    # RFC 5322's required Date (when it was sent, in UTC), and a Message-ID: both were missing
    assert parsedate_to_datetime(message["Date"]).utcoffset() == timedelta(0)
    assert message["Message-ID"] == f"<{sent['notification_id']}@example.org>"


def test_an_email_sent_again_keeps_its_message_id(
    project: Project, mail_server: MailServer, settings: NotificationSettings, clock: Clock
) -> None:
    """The server took the message but answered it would not (or the answer was lost): the
    delivery is sent again, as the same message, which the receiving side can tell."""
    settings.smtp_host, settings.smtp_port = mail_server.host, mail_server.port
    settings.mail_from = "nbtools <nbtools@example.org>"
    sender = NotificationSender(project.store, settings, clock)
    (queued,) = queue(project, clock, "email", "ops@example.org")
    mail_server.replies = ["451 4.3.0 Try again later"]
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("pending", 1)
    clock.now += timedelta(hours=1)
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("delivered", 2)
    first, second = mail_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert str(first["Message-ID"]).endswith("@example.org>")
    assert first["Date"] is not None
    assert second["Date"] is not None


def test_email_without_smtp_settings_fails_with_a_message(
    project: Project, sender: NotificationSender, clock: Clock
) -> None:
    (queued,) = queue(project, clock, "email", "ops@example.org")
    sender.deliver_due()
    assert "set c.NotificationSettings.smtp_host" in (statuses(project)[queued.id][2] or "")


INTERNATIONAL = "ü@exämple.org, ops@exämple.org"


def test_an_address_not_all_ascii_goes_through_a_server_offering_smtputf8(
    project: Project, settings: NotificationSettings, clock: Clock
) -> None:
    with running_mail_server(enable_SMTPUTF8=True) as server:  # aiosmtpd's default
        settings.smtp_host, settings.smtp_port = server.host, server.port
        (queued,) = queue(project, clock, "email", INTERNATIONAL)
        assert NotificationSender(project.store, settings, clock).deliver_due() == 1
    assert statuses(project)[queued.id] == ("delivered", 1, None)
    (message,) = server.messages
    assert message["To"] == INTERNATIONAL


@pytest.fixture
def ascii_only() -> Iterator[MailServer]:
    """A mail server that does not offer SMTPUTF8 (as `python -m aiosmtpd` by default)."""
    with running_mail_server(enable_SMTPUTF8=False) as server:
        yield server


def test_an_address_not_all_ascii_fails_at_once_on_a_server_without_smtputf8(
    project: Project, ascii_only: MailServer, settings: NotificationSettings, clock: Clock
) -> None:
    """It failed as "could not be reached" (the server was reached) and was retried for 15
    minutes, each attempt failing the same way."""
    settings.smtp_host, settings.smtp_port = ascii_only.host, ascii_only.port
    sender = NotificationSender(project.store, settings, clock)
    (queued,) = queue(project, clock, "email", INTERNATIONAL)
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "failed", 1, "Permanent failure, not retried: The SMTP server "
        f"{ascii_only.host}:{ascii_only.port} does not offer SMTPUTF8, which addresses that "
        "are not all ASCII need: 'ü@exämple.org', 'ops@exämple.org'. Use ASCII addresses "
        "('ops@exämple.org' can be written 'ops@xn--exmple-cua.org') or a server that offers "
        "SMTPUTF8.",
    )  # fmt: skip
    clock.now += timedelta(hours=2)
    assert sender.deliver_due() == 0
    assert ascii_only.messages == []


def test_a_sender_address_not_all_ascii_is_named_as_the_setting(
    project: Project, ascii_only: MailServer, settings: NotificationSettings, clock: Clock
) -> None:
    settings.smtp_host, settings.smtp_port = ascii_only.host, ascii_only.port
    settings.mail_from = "Nbtools <nbtööls@example.org>"
    (queued,) = queue(project, clock, "email", "ops@example.org")
    NotificationSender(project.store, settings, clock).deliver_due()
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == ("failed", 1)
    assert "need: 'nbtööls@example.org' (the sender, c.NotificationSettings.mail_from)." in (
        error or ""
    )
